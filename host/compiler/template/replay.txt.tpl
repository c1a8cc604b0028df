# Successive monitors for `ifaddrc check MODULE --replay replay.txt`, one per line: each line
# changes the previous observation (to begin with, a healthy interface with the address
# present and zero counters); `-` changes nothing; the previous verdict's state is handed on.
-                                 # 1: running
rx_dropped=5                      # 2: degraded (drop-rate)
-                                 # 3: running, no new drops
link_carrier=0 link_running=0     # 4: failed (no-carrier)
link_carrier=1 link_running=1     # 5: running
tx_dropped=1                      # 6: degraded (drop-rate)
