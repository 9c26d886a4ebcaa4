# Leaves a background child behind, records its pid, and then waits for it.
sleep 100 &
echo $! > "$Http_X_Pid_File"
wait
