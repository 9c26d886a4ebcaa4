# The test upstream on port $2 until the file $1 exists; from then on every start exits 0 at once.
[ -e "$1" ] && exit 0
exec python3 "$(dirname "$0")/http_upstream.py" "$2"
