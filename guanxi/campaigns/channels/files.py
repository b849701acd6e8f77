"""Messages written to files instead of sent: the demo and development setup for SMS
and WeChat (e-mail has Django's own file backend)."""

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.campaigns.channels.base import Sender, TemporaryFailure


class FileSender(Sender):
    """One JSON file per outbox key under DATA_DIR/outbox/<channel>/; the file name comes
    from the key, so sending the same key again overwrites it instead of adding a copy."""

    def __init__(self, channel: str, directory=None):
        self.channel = channel
        self.directory = Path(directory or settings.DATA_DIR / "outbox" / channel)

    def path_for(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def send(self, outgoing) -> str:
        path = self.path_for(outgoing.key)
        content = json.dumps(asdict(outgoing), ensure_ascii=False, indent=2, sort_keys=True)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, content)
        except OSError as error:
            raise TemporaryFailure(_("Could not write the message file: %(error)s") % {"error": error}) from error
        return f"file:{path.name}"


def _write_atomically(path: Path, content: str):
    # Rename over the old file: a reader never sees half a message, even when two workers write.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
