# Writes its pid, then blocks until its input ends: a request in flight for as long as the test wants.
echo $$ > "$Http_X_Pid_File"
cat > /dev/null
echo released
