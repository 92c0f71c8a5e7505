#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into a NEW database and an empty media directory,
# then check it against its manifest (manage.py verify_backup).
#
#   DATABASE_URL=postgres://.../new_db MEDIA_ROOT=/new/media \
#   FIELD_ENCRYPTION_KEYS=... ID_NUMBER_HASH_KEY=... SECRET_KEY=... \
#   scripts/restore.sh BACKUP_DIR
#
# The database must not exist yet (it is created, never overwritten) and MEDIA_ROOT must be
# empty or absent. The keys are the ones kept apart from the backups: the check decrypts a
# sample of ID-card numbers with them and fails if they are wrong. RESTORE_JOBS (2) sets
# pg_restore's parallel jobs. The PostgreSQL client must be of the server's major version
# or newer.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
backup="$(cd "${1:?usage: restore.sh BACKUP_DIR}" && pwd)"
: "${DATABASE_URL:?DATABASE_URL must name the new database to restore into}"
started=$SECONDS

(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

# createdb connects to the server's maintenance database: the same URL, database postgres.
read -r maintenance_url database < <("$python" - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

url = urlsplit(sys.argv[1])
print(url._replace(path="/postgres").geturl(), unquote(url.path.lstrip("/")))
PY
)
createdb --maintenance-db="$maintenance_url" "$database"
# Owners and grants name the old server's roles; the restored objects belong to the user
# that restores them.
pg_restore --no-owner --no-privileges --exit-on-error --jobs="${RESTORE_JOBS:-2}" \
  --dbname="$DATABASE_URL" "$backup/database.dump"
# pg_restore copies no planner statistics.
vacuumdb --analyze-only --quiet --dbname="$DATABASE_URL"
echo "restore.sh: database $database restored in $((SECONDS - started)) s" >&2

if [ -s "$backup/media.sha256" ]; then
  : "${MEDIA_ROOT:?MEDIA_ROOT must name the empty directory the uploaded files go to}"
  mkdir -p "$MEDIA_ROOT"
  if [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
    echo "restore.sh: MEDIA_ROOT $MEDIA_ROOT is not empty; refusing to mix files into it" >&2
    exit 1
  fi
  tar --extract --file="$backup/media.tar" --directory="$MEDIA_ROOT"
  (cd "$MEDIA_ROOT" && sha256sum --check --quiet "$backup/media.sha256")
  echo "restore.sh: $(wc -l <"$backup/media.sha256") uploaded files restored and checked" >&2
else
  echo "restore.sh: no uploaded files in this backup (none, or MEDIA_STORAGE=s3)" >&2
fi

"$python" "$repo/manage.py" verify_backup "$backup/manifest.json"
echo "restore.sh: restored and verified in $((SECONDS - started)) s" >&2
