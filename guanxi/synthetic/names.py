"""Customer names and e-mail addresses, Chinese and English.

Chinese names are a weighted common surname (including a few two-character ones
such as 欧阳) and a one- or two-character given name; their pinyin feeds the
e-mail address. E-mails end in a number that is a bijection of the customer's
position, so addresses are unique without any lookup; domains are reserved
(.example, example.com) so no real mailbox is ever addressed.
"""

import numpy as np

# surname, pinyin, share of the population (percent, roughly)
SURNAMES = [
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4), ("陈", "chen", 4.5),
    ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0), ("吴", "wu", 2.0), ("周", "zhou", 1.9),
    ("徐", "xu", 1.3), ("孙", "sun", 1.3), ("马", "ma", 1.1), ("朱", "zhu", 1.1), ("胡", "hu", 1.0),
    ("郭", "guo", 1.0), ("何", "he", 0.9), ("高", "gao", 0.9), ("林", "lin", 0.9), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.8), ("梁", "liang", 0.8), ("谢", "xie", 0.6), ("宋", "song", 0.6), ("唐", "tang", 0.6),
    ("许", "xu", 0.5), ("韩", "han", 0.5), ("冯", "feng", 0.5), ("邓", "deng", 0.5), ("曹", "cao", 0.5),
    ("彭", "peng", 0.5), ("曾", "zeng", 0.4), ("肖", "xiao", 0.4), ("田", "tian", 0.4), ("董", "dong", 0.4),
    ("袁", "yuan", 0.4), ("潘", "pan", 0.3), ("于", "yu", 0.3), ("蒋", "jiang", 0.3), ("蔡", "cai", 0.3),
    ("余", "yu", 0.3), ("杜", "du", 0.3), ("叶", "ye", 0.3), ("程", "cheng", 0.3), ("苏", "su", 0.3),
    ("魏", "wei", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3), ("任", "ren", 0.3), ("沈", "shen", 0.3),
    ("欧阳", "ouyang", 0.05), ("司马", "sima", 0.02), ("上官", "shangguan", 0.02),
]
GIVEN_FEMALE = [("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
                ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("欣", "xin"), ("怡", "yi"), ("佳", "jia"),
                ("梅", "mei"), ("玲", "ling"), ("慧", "hui"), ("颖", "ying"), ("晶", "jing"), ("璐", "lu"),
                ("莉", "li"), ("倩", "qian"), ("燕", "yan"), ("霞", "xia"), ("秀", "xiu"), ("涵", "han")]
GIVEN_MALE = [("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
              ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"),
              ("辉", "hui"), ("鹏", "peng"), ("浩", "hao"), ("宇", "yu"), ("博", "bo"), ("俊", "jun"),
              ("轩", "xuan"), ("峰", "feng"), ("斌", "bin"), ("鑫", "xin"), ("波", "bo"), ("龙", "long")]
# First characters of two-character given names, used for either gender.
GIVEN_LEADING = [("文", "wen"), ("华", "hua"), ("晨", "chen"), ("子", "zi"), ("思", "si"), ("嘉", "jia"),
                 ("永", "yong"), ("海", "hai"), ("新", "xin"), ("春", "chun"), ("雨", "yu"), ("一", "yi"),
                 ("梓", "zi"), ("诗", "shi"), ("家", "jia"), ("建", "jian"), ("晓", "xiao"), ("志", "zhi")]

ENGLISH_FEMALE = ("Emma Olivia Sophia Ava Isabella Mia Charlotte Amelia Emily Grace Chloe Lily Hannah Sarah "
                  "Jessica Laura Rachel Anna Lucy Megan Ella Zoe Julia Alice Claire").split()
ENGLISH_MALE = ("James John Robert Michael William David Daniel Thomas Matthew Andrew Joseph Ryan Jack Oliver "
                "Harry George Lucas Benjamin Samuel Henry Noah Ethan Liam Adam Peter").split()
ENGLISH_SURNAMES = ("Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore Martin "
                    "Jackson Thompson White Harris Clark Lewis Walker Hall Allen Young King Wright Scott Green "
                    "Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker "
                    "Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Reed Bailey Kelly").split()
# English-named customers in Singapore, Malaysia, Hong Kong and Taiwan often carry
# romanised Chinese, Malay or Indian family names.
ASIAN_SURNAMES = "Tan Lim Lee Ng Wong Chan Goh Ong Chua Koh Teo Kumar Singh Abdullah Ho Chong".split()

CHINESE_DOMAINS = (("qq.example", 0.35), ("163.example", 0.25), ("126.example", 0.1), ("example.com", 0.15),
                   ("gmail.example", 0.15))
ENGLISH_DOMAINS = (("gmail.example", 0.4), ("outlook.example", 0.2), ("yahoo.example", 0.1),
                   ("example.com", 0.2), ("example.net", 0.1))

GENDERS = np.array(["female", "male", "unknown"])


def _pick(rng, table, n, weights=None):
    weights = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return rng.choice(len(table), size=n, p=weights)


def chinese_names(rng, is_female):
    """(last, first, pinyin_last, pinyin_first) string arrays for Chinese customers."""
    n = len(is_female)
    surname = _pick(rng, SURNAMES, n, [s[2] for s in SURNAMES])
    last = np.array([s[0] for s in SURNAMES])[surname]
    last_py = np.array([s[1] for s in SURNAMES])[surname]
    first, first_py = _gendered(rng, is_female, GIVEN_FEMALE, GIVEN_MALE)
    # About 45% of given names have two characters: a leading one plus the gendered one.
    two = rng.random(n) < 0.45
    lead = _pick(rng, GIVEN_LEADING, n)
    lead_char = np.array([g[0] for g in GIVEN_LEADING])[lead]
    lead_py = np.array([g[1] for g in GIVEN_LEADING])[lead]
    first = np.where(two, np.strings.add(lead_char, first), first)
    first_py = np.where(two, np.strings.add(lead_py, first_py), first_py)
    return last, first, last_py, first_py


def english_names(rng, is_female, asian_surnames):
    """(last, first) string arrays; `asian_surnames` marks customers in SG/MY/HK/TW."""
    n = len(is_female)
    first, _ = _gendered(rng, is_female, [(x, x) for x in ENGLISH_FEMALE], [(x, x) for x in ENGLISH_MALE])
    western = np.array(ENGLISH_SURNAMES)[_pick(rng, ENGLISH_SURNAMES, n)]
    asian = np.array(ASIAN_SURNAMES)[_pick(rng, ASIAN_SURNAMES, n)]
    return np.where(asian_surnames, asian, western), first


def _gendered(rng, is_female, female, male):
    n = len(is_female)
    f = _pick(rng, female, n)
    m = _pick(rng, male, n)
    char = np.where(is_female, np.array([x[0] for x in female])[f], np.array([x[0] for x in male])[m])
    latin = np.where(is_female, np.array([x[1] for x in female])[f], np.array([x[1] for x in male])[m])
    return char, latin


def emails(rng, position, local_first, local_last, chinese, customers):
    """Unique lower-case addresses: a name-based local part + a scrambled number.

    The number is (position * 7919 + 12345) mod 10^k with 10^k >= customers; 7919 is
    prime to 10^k, so the map is a bijection and no two customers share a number.
    The local part has no digits before the number, so addresses never collide.
    """
    modulus = 10 ** max(4, len(str(customers)))
    number = ((position.astype(np.int64) * 7919 + 12345) % modulus).astype(str)
    first, last = np.strings.lower(local_first), np.strings.lower(local_last)
    style = rng.integers(0, 3, len(position))
    dotted = np.strings.add(np.strings.add(first, "."), last)
    joined = np.where(chinese, np.strings.add(last, first), np.strings.add(first, last))
    initial = np.strings.add(np.strings.slice(first, 0, 1), last)
    local = np.where(style == 0, dotted, np.where(style == 1, joined, initial))
    domain = np.where(chinese, _domains(rng, CHINESE_DOMAINS, len(position)),
                      _domains(rng, ENGLISH_DOMAINS, len(position)))
    return np.strings.add(np.strings.add(np.strings.add(local, number), "@"), domain)


def _domains(rng, table, n):
    return np.array([d for d, _ in table])[_pick(rng, table, n, [w for _, w in table])]
