"""Upload checks (A-6, A-7, SEC-4): time of check_pdf on a typical 1 MB PDF and check_photo.

Not an HTTP benchmark: the checks run in a ``manage.py shell`` of their own under the benchmark
settings (the server idles meanwhile), on files built in memory:

- a "typical" document of about 1 MB: 8 pages, 6 of them carrying a scanned image of
  ~160 KB (the image bytes are not decoded by the check, as in real scans), 2 with text;
- a 300 × 400 face photo JPEG (about 20-40 KB, under the 50 KB limit).

Figures: ``upload_pdf_check_ms`` and ``upload_photo_check_ms`` (median of the runs),
``upload_pdf_bytes`` and ``upload_photo_bytes`` (the sizes checked), and
``upload_pdf_checks_per_s`` (one core). Run it alone with::

    .venv/bin/python bench/bench_uploads.py
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

NAME = "uploads"
RUNS = 30

# Runs in ``manage.py shell`` under the benchmark settings; prints ``name=value`` lines.
SCRIPT = f"""
import io, os, statistics, time
import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from zairyu.applications.uploads import check_pdf, check_photo

def document():
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                        BaseFont=Name.Helvetica))
    for number in range(8):
        resources = Dictionary(Font=Dictionary(F1=font))
        text = f"BT /F1 12 Tf 72 720 Td (Page {{number + 1}}) Tj ET"
        if number < 6:
            side = 230
            image = pdf.make_stream(os.urandom(side * side * 3), Type=Name.XObject,
                                    Subtype=Name.Image, Width=side, Height=side,
                                    ColorSpace=Name.DeviceRGB, BitsPerComponent=8)
            resources.XObject = Dictionary(Im1=image)
            text += " q 500 0 0 700 50 50 cm /Im1 Do Q"
        page = pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=Array([0, 0, 595, 842]),
                                       Resources=resources,
                                       Contents=pdf.make_stream(text.encode())))
        pdf.pages.append(page)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()

def photo():
    image = Image.new("RGB", (300, 400), (200, 180, 160))
    for x in range(0, 300, 3):
        for y in range(0, 400, 3):
            image.putpixel((x, y), ((x * 7) % 256, (y * 3) % 256, (x * y) % 256))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()

def timed(check, data, name):
    check(SimpleUploadedFile(name, data))  # warm-up (imports, qpdf start-up)
    times = []
    for _ in range({RUNS}):
        upload = SimpleUploadedFile(name, data)
        start = time.perf_counter()
        check(upload)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)

pdf_data, photo_data = document(), photo()
print(f"pdf_bytes={{len(pdf_data)}}")
print(f"photo_bytes={{len(photo_data)}}")
print(f"pdf_ms={{timed(check_pdf, pdf_data, 'document.pdf'):.3f}}")
print(f"photo_ms={{timed(check_photo, photo_data, 'face.jpg'):.3f}}")
"""


def measure(env: dict[str, str]) -> dict[str, float]:
    """Run the checks in a child process with ``env``; return its figures."""
    values = {}
    for line in harness.manage(env, "shell", "--no-imports", "-v0", "-c", SCRIPT).splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = float(value)
    return values


def record(figure, values: dict[str, float]) -> None:
    """Hand the measured values to ``figure(name, value, unit, digits)``."""
    figure("upload_pdf_bytes", int(values["pdf_bytes"]), "bytes", 0)
    figure("upload_pdf_check_ms", values["pdf_ms"], "ms", 2)
    figure("upload_pdf_checks_per_s", 1000 / values["pdf_ms"], "check/s", 1)
    figure("upload_photo_bytes", int(values["photo_bytes"]), "bytes", 0)
    figure("upload_photo_check_ms", values["photo_ms"], "ms", 2)


def run(ctx) -> None:
    """Time the two checks against the benchmark settings and record the figures."""
    values = measure(ctx.server.env)
    harness.log(
        f"uploads: PDF {values['pdf_bytes'] / 1e6:.2f} MB in {values['pdf_ms']:.2f} ms, "
        f"photo {values['photo_bytes'] / 1e3:.1f} KB in {values['photo_ms']:.2f} ms"
    )
    record(lambda name, value, unit, digits: ctx.figure(name, value, unit, digits=digits), values)


def main() -> int:
    """Run on its own (no server needed): print the figures."""
    env = harness.server_env(None, harness.DEFAULT_VAR_DIR)
    record(
        lambda name, value, unit, digits: harness.emit(name, value, unit, digits=digits),
        measure(env),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
