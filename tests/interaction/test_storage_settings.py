"""Where uploads are stored comes from the environment: the local file system by default,
an S3-compatible bucket (django-storages) with MEDIA_STORAGE=s3."""

import json
import os
import subprocess
import sys

PRINT_STORAGE = (
    "import json; from dangjian import settings; print(json.dumps(settings.STORAGES['default']))"
)


def default_storage_with(**env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_STORAGE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_uploads_go_to_the_file_system_by_default():
    storage = default_storage_with(MEDIA_STORAGE="")
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_s3_compatible_bucket_is_configured_from_the_environment():
    storage = default_storage_with(
        MEDIA_STORAGE="s3",
        S3_BUCKET="dangjian-media",
        S3_ENDPOINT_URL="https://minio.internal:9000",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
        S3_ADDRESSING_STYLE="path",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "dangjian-media"
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    assert options["location"] == "media" and options["addressing_style"] == "path"


def test_an_unknown_storage_is_refused_at_start():
    result = subprocess.run(
        [sys.executable, "-c", PRINT_STORAGE],
        env={**os.environ, "MEDIA_STORAGE": "ftp"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "MEDIA_STORAGE must be local or s3" in result.stderr
