"""The shop's catalogue: ~200 products over 12 categories, prices in CNY.

The catalogue is fixed (it does not depend on the seed) so that tests, demos and
benchmarks talk about the same products. Each category lists items and two
variants; a product is an item in a variant. Planted co-purchase pairs are
complements (cleanser -> toner, yoga mat -> yoga blocks...): an order holding the
anchor gets its partner with high probability, which a recommender should find.
"""

from dataclasses import dataclass

import numpy as np

CURRENCY = "CNY"

# category: (sku prefix, interest it signals, variants [(label, price factor)],
#            items [(key, English, Chinese, base price CNY)])
CATEGORIES = {
    "skincare": ("SKN", "beauty", [("", 1.0), ("Value Size 大容量装", 1.7)], [
        ("cleanser", "Gentle Foaming Cleanser", "温和洁面乳", 69), ("toner", "Hydrating Toner", "保湿爽肤水", 89),
        ("serum", "Vitamin C Serum", "维C精华液", 199), ("cream", "Moisturising Cream", "保湿面霜", 159),
        ("sunscreen", "Sunscreen SPF50", "防晒霜", 99), ("mask", "Sheet Mask Box", "补水面膜", 79),
        ("eye", "Eye Cream", "眼霜", 229), ("lotion", "Body Lotion", "身体乳", 59),
        ("oil", "Cleansing Oil", "卸妆油", 119)]),
    "makeup": ("MKP", "beauty", [("Rose 玫瑰色", 1.0), ("Nude 裸色", 1.0)], [
        ("lipstick", "Matte Lipstick", "哑光口红", 129), ("foundation", "Liquid Foundation", "粉底液", 239),
        ("sponge", "Makeup Sponge Set", "美妆蛋套装", 39), ("palette", "Eyeshadow Palette", "眼影盘", 189),
        ("mascara", "Volume Mascara", "浓密睫毛膏", 99), ("blush", "Cream Blush", "腮红", 89),
        ("remover", "Micellar Makeup Remover", "卸妆水", 69), ("brushes", "Brush Set", "化妆刷套装", 149)]),
    "tea": ("TEA", "tea", [("100g", 1.0), ("250g", 2.2)], [
        ("longjing", "West Lake Longjing Green Tea", "西湖龙井", 168), ("oolong", "Tieguanyin Oolong", "铁观音", 128),
        ("puer", "Aged Pu'er Cake", "普洱茶饼", 198), ("jasmine", "Jasmine Green Tea", "茉莉花茶", 58),
        ("hongcha", "Keemun Black Tea", "祁门红茶", 98), ("white", "Fuding White Tea", "福鼎白茶", 148),
        ("chrysanthemum", "Chrysanthemum Tea", "菊花茶", 38), ("dahongpao", "Da Hong Pao Rock Tea", "大红袍", 238)]),
    "snacks": ("SNK", "food", [("Single 单袋", 1.0), ("Family Pack 家庭装", 3.0)], [
        ("jerky", "Spicy Beef Jerky", "麻辣牛肉干", 39), ("seeds", "Roasted Sunflower Seeds", "五香瓜子", 15),
        ("mango", "Dried Mango", "芒果干", 25), ("nuts", "Mixed Nuts", "每日坚果", 59),
        ("haw", "Hawthorn Flakes", "山楂片", 12), ("mooncake", "Mooncake Gift Box", "月饼礼盒", 168),
        ("duck", "Braised Duck Neck", "卤鸭脖", 35), ("seaweed", "Seaweed Snack", "海苔脆", 19),
        ("candy", "White Rabbit Candy", "大白兔奶糖", 22)]),
    "baby": ("BBY", "parenting", [("", 1.0), ("Twin Pack 两件装", 1.8)], [
        ("formula", "Infant Formula Stage 1", "婴儿配方奶粉1段", 298), ("bottle", "Anti-colic Baby Bottle", "防胀气奶瓶", 89),
        ("diapers", "Diapers Size M", "纸尿裤M码", 129), ("wipes", "Baby Wipes", "婴儿湿巾", 29),
        ("bodysuit", "Cotton Bodysuit", "纯棉连体衣", 79), ("teether", "Silicone Teether", "硅胶牙胶", 39),
        ("stroller_fan", "Stroller Fan", "婴儿车风扇", 59), ("bath", "Baby Bath Wash", "婴儿沐浴露", 49)]),
    "home": ("HOM", "home decor", [("", 1.0), ("Set of 2 两件套", 1.8)], [
        ("duvet", "Silk Duvet", "蚕丝被", 899), ("pillowcase", "Cotton Pillowcase", "纯棉枕套", 69),
        ("candle", "Scented Candle", "香薰蜡烛", 89), ("holder", "Ceramic Candle Holder", "陶瓷烛台", 49),
        ("towel", "Bamboo Bath Towel", "竹纤维浴巾", 79), ("diffuser", "Aroma Diffuser", "香薰机", 199),
        ("storage", "Fabric Storage Box", "布艺收纳箱", 59), ("rug", "Woven Floor Rug", "编织地毯", 299)]),
    "kitchen": ("KIT", "cooking", [("", 1.0), ("Pro 专业版", 1.6)], [
        ("wok", "Carbon Steel Wok", "碳钢炒锅", 199), ("spatula", "Wok Spatula", "锅铲", 29),
        ("rice_cooker", "Smart Rice Cooker", "智能电饭煲", 499), ("teaset", "Gongfu Tea Set", "功夫茶具套装", 268),
        ("knife", "Chef's Knife", "主厨刀", 159), ("board", "Bamboo Cutting Board", "竹砧板", 69),
        ("steamer", "Bamboo Steamer", "竹蒸笼", 59), ("kettle", "Electric Kettle", "电热水壶", 149),
        ("tumbler", "Glass Tea Tumbler", "玻璃泡茶杯", 49)]),
    "electronics": ("ELC", "gadgets", [("Black 黑色", 1.0), ("White 白色", 1.05)], [
        ("earbuds", "Wireless Earbuds", "无线耳机", 399), ("powerbank", "Power Bank 10000mAh", "充电宝", 129),
        ("cable", "USB-C Cable", "USB-C数据线", 39), ("speaker", "Bluetooth Speaker", "蓝牙音箱", 299),
        ("watch", "Smart Watch", "智能手表", 1299), ("tablet", "10-inch Tablet", "10英寸平板电脑", 2499),
        ("mouse", "Wireless Mouse", "无线鼠标", 99), ("stand", "Laptop Stand", "笔记本支架", 159),
        ("case", "Phone Case", "手机壳", 49)]),
    "fashion": ("FSH", "fashion", [("S/M", 1.0), ("L/XL", 1.0)], [
        ("scarf", "Silk Scarf", "真丝围巾", 299), ("qipao", "Modern Qipao Dress", "改良旗袍", 599),
        ("tshirt", "Cotton T-shirt", "纯棉T恤", 99), ("jacket", "Down Jacket", "羽绒服", 899),
        ("jeans", "Slim Jeans", "修身牛仔裤", 259), ("sneakers", "Canvas Sneakers", "帆布鞋", 199),
        ("bag", "Leather Tote Bag", "真皮托特包", 699), ("socks", "Socks 5-pack", "袜子五双装", 49)]),
    "sports": ("SPT", "fitness", [("", 1.0), ("Pro 专业版", 1.5)], [
        ("yoga_mat", "Yoga Mat", "瑜伽垫", 129), ("yoga_blocks", "Yoga Blocks", "瑜伽砖", 39),
        ("running_shoes", "Running Shoes", "跑步鞋", 499), ("sport_socks", "Sports Socks", "运动袜", 29),
        ("racket", "Badminton Racket", "羽毛球拍", 259), ("shuttles", "Shuttlecocks 12-pack", "羽毛球12只装", 59),
        ("bottle", "Insulated Water Bottle", "保温运动水杯", 89), ("bands", "Resistance Bands", "弹力带", 49),
        ("dumbbells", "Adjustable Dumbbells", "可调节哑铃", 399)]),
    "books": ("BOK", "reading", [("Paperback 平装", 1.0), ("Hardcover 精装", 1.6)], [
        ("cookbook", "Sichuan Home Cooking", "川味家常菜", 68), ("tea_book", "The Way of Tea", "茶经新解", 58),
        ("novel", "Three-Body Problem", "三体", 93), ("kids", "Picture Book Set", "儿童绘本套装", 128),
        ("history", "A Short History of China", "中国简史", 79), ("language", "HSK Chinese Course", "HSK标准教程", 88),
        ("poetry", "Tang Poems", "唐诗三百首", 39), ("business", "Customer Is King", "客户为王", 59)]),
    "gifts": ("GFT", "gifting", [("", 1.0), ("Deluxe 豪华版", 1.8)], [
        ("giftbox", "Gift Box & Card", "礼盒与贺卡", 29), ("flowers", "Preserved Flower Box", "永生花礼盒", 299),
        ("red_envelope", "Red Envelope Set", "红包套装", 19), ("chocolate", "Chocolate Assortment", "巧克力礼盒", 159),
        ("jade", "Jade Pendant", "玉坠", 599), ("perfume", "Perfume Gift Set", "香水礼盒", 459),
        ("ornament", "Christmas Ornaments", "圣诞装饰", 69), ("calendar", "Zodiac Desk Calendar", "生肖台历", 49)]),
}

# Planted complements (anchor -> partner), first variant of each item.
PLANTED_PAIRS = [
    (("skincare", "cleanser"), ("skincare", "toner")), (("skincare", "serum"), ("skincare", "sunscreen")),
    (("makeup", "foundation"), ("makeup", "sponge")), (("makeup", "palette"), ("makeup", "remover")),
    (("tea", "oolong"), ("kitchen", "teaset")), (("tea", "jasmine"), ("kitchen", "tumbler")),
    (("snacks", "jerky"), ("snacks", "seeds")), (("snacks", "mooncake"), ("tea", "puer")),
    (("baby", "formula"), ("baby", "bottle")), (("baby", "diapers"), ("baby", "wipes")),
    (("home", "candle"), ("home", "holder")), (("home", "duvet"), ("home", "pillowcase")),
    (("kitchen", "wok"), ("kitchen", "spatula")), (("kitchen", "rice_cooker"), ("books", "cookbook")),
    (("electronics", "powerbank"), ("electronics", "cable")), (("electronics", "stand"), ("electronics", "mouse")),
    (("fashion", "scarf"), ("gifts", "giftbox")), (("sports", "yoga_mat"), ("sports", "yoga_blocks")),
    (("sports", "running_shoes"), ("sports", "sport_socks")), (("sports", "racket"), ("sports", "shuttles")),
]

# Share of order lines returned, by category (clothes come back most).
RETURN_RATES = {"skincare": 0.03, "makeup": 0.04, "tea": 0.01, "snacks": 0.01, "baby": 0.03, "home": 0.05,
                "kitchen": 0.04, "electronics": 0.07, "fashion": 0.16, "sports": 0.08, "books": 0.02, "gifts": 0.03}


@dataclass(frozen=True)
class Catalogue:
    """Products as parallel arrays, index = product number."""

    sku: np.ndarray
    name: np.ndarray
    category: np.ndarray  # category number, see `categories`
    price_cents: np.ndarray
    categories: tuple
    pairs: np.ndarray  # (n_pairs, 2) product numbers: anchor, partner

    def __len__(self):
        return len(self.sku)

    def interests(self):
        return np.array([CATEGORIES[c][1] for c in self.categories])

    def return_rates(self):
        return np.array([RETURN_RATES[c] for c in self.categories])

    def in_category(self, name):
        return np.flatnonzero(self.category == self.categories.index(name))


def build_catalogue():
    rows, index = [], {}
    for cat_no, (category, (prefix, _, variants, items)) in enumerate(CATEGORIES.items()):
        number = 0
        for key, english, chinese, base in items:
            for variant_no, (label, factor) in enumerate(variants):
                number += 1
                if variant_no == 0:
                    index[(category, key)] = len(rows)
                name = f"{english} {chinese}" + (f" {label}" if label else "")
                rows.append((f"{prefix}-{number:03d}", name, cat_no, _shop_price(base * factor)))
    sku, name, category, price = zip(*rows)
    pairs = np.array([[index[a], index[b]] for a, b in PLANTED_PAIRS])
    return Catalogue(np.array(sku), np.array(name), np.array(category), np.array(price, dtype=np.int64),
                     tuple(CATEGORIES), pairs)


def _shop_price(value):
    """Round to a price ending in .90 (fen), as shops do: 168 -> 167.90."""
    return max(int(round(value)), 2) * 100 - 10
