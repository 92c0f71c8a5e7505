"""Benchmark: a web worker's peak memory while it takes one photo upload.

    .venv/bin/python bench/photo_memory.py [--keep DIR]

Each case is a file built to be as costly as an accepted upload can be (at the pixel
ceiling, with transparency where the format has it), or an attack (a few hundred KB of
PNG declaring 80 megapixels). Each is handed to `interaction.images.process` — the
decoding, scaling, re-encoding and thumbnailing of every upload — in a fresh Python
process that has first loaded the whole application as a worker does at its start
(`core.warmup`). The child reports its peak resident set size (`getrusage`'s
`ru_maxrss`) before and after; the table shows both and the verdict.

Goal (docs/performance.md, "Photo uploads"): every accepted upload's peak < 400 MiB, and
whatever is refused is refused before it costs memory.
"""

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MIB = 400

CHILD = """
import json, os, resource, sys
sys.path.insert(0, {src!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
import django
django.setup()
from dangjian.core.warmup import warm_up
warm_up()
from dangjian.core.errors import DomainError
from dangjian.interaction import images
def peak():
    # This process's own high-water mark: getrusage's ru_maxrss would also count the
    # memory of the parent that started it (Linux keeps it across fork and exec).
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with open(sys.argv[1], "rb") as f:
    data = f.read()
before = peak()
try:
    done = images.process(data)
    result = {{"accepted": [done.width, done.height]}}
except DomainError as exc:
    result = {{"refused": exc.code}}
print(json.dumps({{"baseline_mib": before, "peak_mib": peak(), **result}}))
"""


def measure(path: Path) -> dict:
    """Peak RSS of a fresh worker-like process taking the file at `path`."""
    env = {**os.environ, "DEBUG": "1"}
    env.pop("DATABASE_URL", None)  # the embedded default: no connection is made
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(src=str(ROOT / "src")), str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_png(
    path: Path, width: int, height: int, mode: str = "RGBA", *, zeros: bool = False
) -> None:
    """A PNG of any size, written row by row (never whole in memory): a gradient across the
    row, or nothing but zeros (the smallest file for its size: about a thousandth)."""
    channels, color_type = {"L": (1, 0), "RGB": (3, 2), "RGBA": (4, 6)}[mode]

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    row = b"\x00" + (
        bytes(width * channels)
        if zeros
        else bytes((x * 251 // max(1, width)) % 256 for x in range(width * channels))
    )
    packer = zlib.compressobj(6)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)))
        pending = bytearray()
        for _ in range(height):
            pending += packer.compress(row)
            if len(pending) > 1 << 20:
                f.write(chunk(b"IDAT", bytes(pending)))
                pending.clear()
        pending += packer.flush()
        f.write(chunk(b"IDAT", bytes(pending)))
        f.write(chunk(b"IEND", b""))


def write_with_pillow(path: Path, fmt: str, size: tuple[int, int], mode: str = "RGB") -> None:
    """A photo-like image (smooth noise) saved by Pillow: JPEG, WebP or HEIC."""
    from PIL import Image

    w, h = max(1, size[0] // 16), max(1, size[1] // 16)
    small = Image.frombytes(mode, (w, h), os.urandom(w * h * len(mode)))
    im = small.resize(size, Image.Resampling.BILINEAR)
    del small
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    kwargs = {"quality": 85} if fmt in ("JPEG", "WEBP", "HEIF") else {}
    im.save(out, format=fmt, **kwargs)
    path.write_bytes(out.getvalue())


def cases(policy: dict) -> list[tuple[str, object]]:
    """(name, how to write it) for each case."""
    from dangjian.interaction.images import pixel_limit

    def side(kind: str, mode: str) -> int:
        return int(pixel_limit(kind, mode, {}, policy) ** 0.5)

    rgb, rgba, webp = side("png", "RGB"), side("png", "RGBA"), side("webp", "RGBA")
    return [
        ("PNG RGBA 8944x8944, zeros (the attack)", lambda p: write_png(p, 8944, 8944, zeros=True)),
        (f"PNG RGB {rgb}x{rgb} (its ceiling)", lambda p: write_png(p, rgb, rgb, "RGB")),
        (f"PNG RGBA {rgba}x{rgba} (its ceiling)", lambda p: write_png(p, rgba, rgba)),
        (f"PNG RGBA {rgba + 1}x{rgba + 1} (just over)", lambda p: write_png(p, rgba + 1, rgba + 1)),
        ("JPEG 8160x6120 (50 MP phone)", lambda p: write_with_pillow(p, "JPEG", (8160, 6120))),
        (
            f"JPEG {rgb}x{rgb} (decoded whole, its ceiling)",
            lambda p: write_with_pillow(p, "JPEG", (rgb, rgb)),
        ),
        ("HEIC 5712x4284 (24 MP iPhone)", lambda p: write_with_pillow(p, "HEIF", (5712, 4284))),
        (
            f"WebP RGBA {webp}x{webp} (its ceiling)",
            lambda p: write_with_pillow(p, "WEBP", (webp, webp), "RGBA"),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ.setdefault("DEBUG", "1")
    from django.conf import settings

    policy = settings.PHOTO_POLICY
    print(
        f"PHOTO_MAX_PIXELS={policy['max_pixels']}  PHOTO_MAX_EDGE_PX={policy['max_edge_px']}"
        f"  goal: accepted uploads peak < {GOAL_MIB} MiB"
    )
    print(f"{'case':48} {'file':>9} {'baseline':>9} {'peak':>9}  result")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for i, (name, write) in enumerate(cases(policy)):
            path = folder / f"case{i}"
            write(path)
            m = measure(path)
            size = path.stat().st_size
            outcome = (
                f"accepted, stored {m['accepted'][0]}x{m['accepted'][1]}"
                if "accepted" in m
                else f"refused: {m['refused']}"
            )
            if "accepted" in m:
                worst = max(worst, m["peak_mib"])
            print(
                f"{name:48} {size / 1024:>7.0f}KB {m['baseline_mib']:>6.0f}MiB"
                f" {m['peak_mib']:>6.0f}MiB  {outcome}",
                flush=True,
            )
    met = "met" if worst < GOAL_MIB else "NOT met"
    print(f"worst accepted peak: {worst:.0f} MiB (goal < {GOAL_MIB} MiB: {met})")


if __name__ == "__main__":
    main()
