"""Fetch the browser libraries the pages serve locally (no CDN at run time, no Node).

Run by `make install`. Each asset is a pinned npm package downloaded from the npm
registry, checked against its pinned sha512 integrity (what `npm view <pkg>@<version>
dist.integrity` prints), and one file of it extracted into a git-ignored static folder.
Standard library only; a file already in place with the right content is left alone.

    python scripts/fetch_assets.py            # fetch what is missing
    python scripts/fetch_assets.py --force    # fetch again
"""

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "dangjian" / "core" / "static" / "vendor"
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")

# (package, version, sha512 integrity of the tarball, member of the tarball, target file)
ASSETS = [
    (
        "echarts",
        "5.6.0",
        "sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFm"
        "HGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==",
        "package/dist/echarts.min.js",
        "echarts/echarts.min.js",
    ),
    # WeChat's JS-SDK as WeChat serves it (res.wx.qq.com/open/js/jweixin-1.6.0.js): the
    # package's index.original.js (its index.js is a CommonJS rewrite).
    (
        "weixin-js-sdk",
        "1.6.0",
        "sha512-3IYQH7aalJGFJrwdT3epvTdR1MboMiH7vIZ5BRL2eYOJ12BNah7csoMkmSZzkq1+l92sSq29X"
        "dTCVjCJoK2sBQ==",
        "package/index.original.js",
        "weixin/jweixin-1.6.0.js",
    ),
]


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(package: str, version: str, integrity: str, member: str, target: Path) -> None:
    url = f"{REGISTRY}/{package}/-/{package}-{version}.tgz"
    print(f"fetching {url}")
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - pinned https URL
        data = response.read()
    got = integrity_of(data)
    if got != integrity:
        raise SystemExit(
            f"{package}@{version}: integrity mismatch\n  expected {integrity}\n  got      {got}"
        )
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        extracted = archive.extractfile(member)
        if extracted is None:
            raise SystemExit(f"{package}@{version}: {member} is not a file in the tarball")
        content = extracted.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(content)
    tmp.replace(target)
    # Remember which tarball the file came from, to fetch again when the pin changes.
    target.with_name(target.name + ".version").write_text(f"{package}@{version} {integrity}\n")
    print(f"  {target.relative_to(ROOT)} ({len(content):,} bytes)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch even if already in place")
    args = parser.parse_args(argv)
    for package, version, integrity, member, name in ASSETS:
        target = VENDOR / name
        stamp = target.with_name(target.name + ".version")
        current = stamp.read_text().strip() if stamp.exists() else ""
        if not args.force and target.exists() and current == f"{package}@{version} {integrity}":
            continue
        fetch(package, version, integrity, member, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
