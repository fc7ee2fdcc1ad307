#!/usr/bin/env bash
# test_storage_full.sh - the database on a disk that refuses to grow: RLIMIT_FSIZE
# (ulimit -f, SIGXFSZ ignored, so write() fails with EFBIG and SQLite says "disk I/O
# error") and, as root where mount works, a small tmpfs (ENOSPC: "database or disk is
# full"). The console gets answers until the disk refuses one: it exits 1 with one error
# line naming the database, nothing is corrupted (PRAGMA integrity_check), every answer
# confirmed before the fault is stored, and once there is room again it carries on.
. "$(dirname "$0")/lib.sh"

MNT=
trap '[ -z "$MNT" ] || umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT

BIG=$(head -c 15000 /dev/zero | tr '\0' x)
# big_answers N TAG: N members' answers of 15,000 characters, one a line.
big_answers() {
	local i
	for ((i = 1; i <= $1; i++)); do printf 'u%d> %s %s %d\n' "$i" "$2" "$BIG" "$i"; done
}

# seed DB: a session with one answer.
seed() {
	printf 'alice> !ws start\nalice> kept answer\n' | wb --db "$1" console >/dev/null
}

# full_case NAME DB LIMIT...: the console on DB with the big answers, under `ulimit -f
# LIMIT` if given (the transcript through a pipe, so the limit is only the database's).
full_case() {
	local name=$1 db=$2 limit=${3:-} rc confirmed stored
	big_answers 40 "$name" >"$T/in.txt"
	(
		trap '' XFSZ
		[ -z "$limit" ] || ulimit -f "$limit"
		timeout "$RUN_LIMIT" "$BIN" --db "$db" console <"$T/in.txt" 2>"$T/last.err"
	) | cat >"$T/out.txt"
	rc=${PIPESTATUS[0]}
	cat "$T/last.err" >>"$T/all.err"
	check_exit "$name: the console exits non-zero when the disk refuses a write" nonzero "$rc"
	check_one_line_stderr "$name: one error line naming the database" "database $db"
	check_grep "$name: the line gives the cause" "$T/last.err" "$4"
	check_eq "$name: the database is intact" ok "$(sql "$db" "PRAGMA integrity_check")"
	check_eq "$name: the answer stored before is still there" "kept answer" \
		"$(sql "$db" "SELECT text FROM answers WHERE user_id = 'alice'")"
	confirmed=$(grep -oE '^workshopbot: Thanks, u[0-9]+' "$T/out.txt" | sed 's/.* //' | sort)
	stored=$(sql "$db" "SELECT user_id FROM answers WHERE user_id LIKE 'u%'" | sort)
	check "$name: the disk refused some answer (not all 40 stored)" \
		test "$(grep -c . <<<"$stored")" -lt 40
	check_eq "$name: every answer confirmed before the fault is stored, no other" \
		"$confirmed" "$stored"
	N_BEFORE=$(sql "$db" "SELECT count(*) FROM answers")
}

# carry_on NAME DB: with room again, the console stores new answers.
carry_on() {
	printf 'bob> after the fault\n' | wb --db "$2" console >/dev/null
	check_exit "$1: with room again the console runs" 0 $?
	check_eq "$1: and stores the next answer" "$((N_BEFORE + 1))|after the fault|ok" \
		"$(sql "$2" "SELECT count(*), (SELECT text FROM answers WHERE user_id = 'bob'), (SELECT * FROM pragma_integrity_check) FROM answers")"
}

# ---- RLIMIT_FSIZE: EFBIG, SQLITE_IOERR_WRITE ----
DB=$T/fsize.db
seed "$DB"
full_case fsize "$DB" 64 "disk I/O error"
carry_on fsize "$DB"

# ---- a full tmpfs: ENOSPC, SQLITE_FULL ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/mnt" && mount -t tmpfs -o size=320k tmpfs "$T/mnt" 2>/dev/null; then
	MNT=$T/mnt
	DB=$MNT/full.db
	seed "$DB"
	full_case tmpfs "$DB" "" "database or disk is full"
	mount -o remount,size=8m "$MNT"
	carry_on tmpfs "$DB"
else
	echo "# no tmpfs (not root, or mount refused): only the RLIMIT_FSIZE case ran"
fi
finish
