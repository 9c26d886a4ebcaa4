# Closes its stdout at once, records its pid, and keeps running with its input unread.
exec >&-
echo $$ > "$1"
exec sleep 300
