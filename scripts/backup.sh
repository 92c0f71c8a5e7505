#!/usr/bin/env bash
# A logical backup of the database (pg_dump -Fc) and of the uploaded files (MEDIA_ROOT),
# with a manifest that scripts/restore.sh checks the restore against.
#
#   DATABASE_URL=postgres://... [MEDIA_ROOT=...] scripts/backup.sh [BACKUP_ROOT]
#
# Writes BACKUP_ROOT/<UTC date and time>/ (BACKUP_ROOT: var/backups by default):
#   database.dump   pg_dump --format=custom
#   media.tar       the files under MEDIA_ROOT (none with MEDIA_STORAGE=s3: the bucket's
#                   own versioning and replication keep those)
#   media.sha256    each file's SHA-256, checked after a restore
#   manifest.json   migrations, row counts, checksums of key tables, the app's commit
#   SHA256SUMS      of the three files above
# The manifest and the dump read the same snapshot of the database, so the counts are those
# of the dump even while the site keeps writing.
#
# The keys are NOT in the backup: FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY and SECRET_KEY
# are kept apart (docs/operations.md, "Backup and restore"). Without them the ID-card
# numbers in a backup can neither be read nor found.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not PostgreSQL; pg_dump backs up PostgreSQL only" >&2; exit 2 ;;
esac

# Members' personal data: only the owner reads the backup.
umask 077
backup_root="${1:-${BACKUP_ROOT:-$repo/var/backups}}"
name="$(date -u +%Y%m%dT%H%M%SZ)"
work="$backup_root/$name.partial"
mkdir -p "$work"
started=$SECONDS

# One session exports its snapshot and holds it open while the manifest and pg_dump read it.
coproc SNAPSHOT_SESSION {
  psql "$DATABASE_URL" --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1
}
snapshot_pid=$SNAPSHOT_SESSION_PID
echo "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT pg_export_snapshot();" \
  >&"${SNAPSHOT_SESSION[1]}"
read -r snapshot <&"${SNAPSHOT_SESSION[0]}"

commit="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
"$python" "$repo/manage.py" backup_manifest "$work/manifest.json" \
  --snapshot "$snapshot" --commit "$commit"
pg_dump --format=custom --snapshot="$snapshot" --file="$work/database.dump" "$DATABASE_URL"

echo "COMMIT;" >&"${SNAPSHOT_SESSION[1]}"
exec {SNAPSHOT_SESSION[1]}>&-
wait "$snapshot_pid"

media_root="$("$python" -c 'import json, sys; m = json.load(open(sys.argv[1]))["media"]; print(m.get("root", ""))' "$work/manifest.json")"
files="$work/media.files"
if [ -n "$media_root" ] && [ -d "$media_root" ]; then
  # The list first, then exactly those files: one uploaded meanwhile is in neither.
  (cd "$media_root" && find . -type f -print0 | LC_ALL=C sort -z) >"$files"
  (cd "$media_root" && xargs -0 --no-run-if-empty sha256sum <"$files") >"$work/media.sha256"
  tar --create --file="$work/media.tar" --directory="$media_root" --null --files-from="$files"
elif [ -z "$media_root" ]; then
  echo "backup.sh: MEDIA_STORAGE=s3: uploaded files are NOT in this backup;" \
    "the bucket's versioning and replication keep them" >&2
  : >"$work/media.sha256"
  tar --create --file="$work/media.tar" --files-from=/dev/null
else
  echo "backup.sh: MEDIA_ROOT $media_root does not exist: no uploaded files" >&2
  : >"$work/media.sha256"
  tar --create --file="$work/media.tar" --files-from=/dev/null
fi
rm -f "$files"

(cd "$work" && sha256sum database.dump media.tar media.sha256 manifest.json >SHA256SUMS)
mv "$work" "$backup_root/$name"

cat >&2 <<NOTE
backup.sh: $(du -sh "$backup_root/$name" | cut -f1) in $((SECONDS - started)) s
***********************************************************************************
 The keys are NOT in this backup: FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY and
 SECRET_KEY. Keep them apart from it (docs/operations.md, Backup and restore):
 without them the ID-card numbers in this backup can never be read again.
***********************************************************************************
NOTE
echo "$backup_root/$name"
