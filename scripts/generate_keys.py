"""Random keys for a Dangjian Cloud installation: SECRET_KEY, FIELD_ENCRYPTION_KEYS (one
Fernet key) and ID_NUMBER_HASH_KEY, as NAME=value lines.

    python3 scripts/generate_keys.py var/secrets.env   # write them once (make demo, make keys)
    python3 scripts/generate_keys.py                   # print them, for /etc/dangjian.env

A file that exists is never replaced: ID numbers stored with its keys could not be read
with new ones. The file is readable by its owner only. Standard library only, so that it
runs before the virtualenv exists. The settings read var/secrets.env for the keys the
environment does not set (docs/operations.md, "Configure")."""

import base64
import os
import secrets
import sys
from pathlib import Path


def keys() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        # A Fernet key is 32 random bytes in URL-safe base64.
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ID_NUMBER_HASH_KEY": secrets.token_urlsafe(50),
    }


def text() -> str:
    return "".join(f"{name}={value}\n" for name, value in keys().items())


def write_once(path: Path) -> bool:
    """Write fresh keys to `path` unless it exists; whether it wrote them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(
            "# Keys of this installation, generated once by scripts/generate_keys.py. Never\n"
            "# replace them: ID numbers stored with them cannot be read with other keys.\n"
        )
        out.write(text())
    return True


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(f"usage: {argv[0]} [FILE]", file=sys.stderr)
        return 2
    if not argv:
        sys.stdout.write(text())
        return 0
    path = Path(argv[0])
    if write_once(path):
        print(f"wrote new random keys to {path}")
    else:
        print(f"{path} exists; its keys are kept")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
