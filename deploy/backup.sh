#!/bin/bash
# A consistent backup of imagesite into DEST (docs/production.md#backups): the database first, then
# the image files. Files are written before any row names them and deleted only after a grace
# period, so every file the dump names is in the copy.
#   deploy/backup.sh /backups/imagesite/$(date +%F) [mariadb-dump options, e.g. --host=db1]
# Credentials from ~/.my.cnf ([mariadb-dump] user=, password=); DATABASE (default imagesite) and
# IMAGE_FILES_DIR (default var/images) from the environment.
set -euo pipefail
DEST=${1:?usage: deploy/backup.sh DEST [mariadb-dump options]}
shift
DATABASE=${DATABASE:-imagesite}
IMAGE_FILES_DIR=${IMAGE_FILES_DIR:-$(dirname "$0")/../var/images}
mkdir -p "$DEST"
# --single-transaction: one consistent snapshot without locking the site; --hex-blob: the PNGs stay
# exact whatever the dump's character set.
mariadb-dump --single-transaction --quick --hex-blob --default-character-set=utf8mb4 "$@" "$DATABASE" \
    | gzip > "$DEST/$DATABASE.sql.gz"
if [ -d "$IMAGE_FILES_DIR" ]; then
    # Content-addressed and never overwritten: a copy is never stale, and an rsync into last night's
    # copy (or with --link-dest) moves only the new files.
    rsync -a "$IMAGE_FILES_DIR/" "$DEST/images/"
fi
echo "backup: $DEST/$DATABASE.sql.gz$( [ -d "$IMAGE_FILES_DIR" ] && echo " and $DEST/images/" )"
