# A bounded fork bomb: each process records its pid in the directory $1, starts two more with
# one level less, until level $2 reaches 0, then sleeps. Level 5 makes 63 processes, no more.
echo $$ > "$1/$$"
if [ "$2" -gt 0 ]; then
    sh "$0" "$1" $(($2 - 1)) &
    sh "$0" "$1" $(($2 - 1)) &
fi
exec sleep 300
