"""The `guanxi` command: one entry point over Django's management commands.

`guanxi import orders FILE` runs the `import_data` command, `guanxi worker` runs
huey's consumer, anything else (`migrate`, `shell`, ...) goes to Django as is.
"""

import os
import sys

ALIASES = {
    "import": "import_data",
    "worker": "run_huey",
}


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1:
        argv[1] = ALIASES.get(argv[1], argv[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["guanxi", *argv[1:]])


if __name__ == "__main__":
    main()
