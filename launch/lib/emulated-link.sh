# Sourced by launch/scale --link: two "hosts" on this machine, network namespaces dtlA<pid> and
# dtlB<pid> joined by one veth pair (10.78.0.1/24 and 10.78.0.2/24, nothing else), each end's
# egress shaped by an HTB class at the link rate (both directions), and mpirun in A reaching B
# through a launch agent that enters B's namespace instead of ssh. Open MPI uses TCP between the
# namespaces; ranks inside one namespace use shared memory. Root only. link_down removes whatever
# link_up made, and is safe to call more than once or after a partial link_up.

link_ip=$(command -v ip || echo /usr/sbin/ip)
link_tc=$(command -v tc || echo /usr/sbin/tc)
link_suffix=$$
link_a=dtlA$link_suffix; link_b=dtlB$link_suffix
link_va=vlA$link_suffix; link_vb=vlB$link_suffix
link_dir=""

# link_rate_valid RATE: none, or a positive number with kbit/mbit/gbit (tc's units), e.g. 2.5gbit.
link_rate_valid() {
  [ "$1" = none ] && return 0
  printf '%s' "$1" | grep -Eq '^([0-9]+(\.[0-9]+)?|\.[0-9]+)(kbit|mbit|gbit)$' || return 1
  awk -v r="${1%bit}" 'BEGIN { v = r + 0; exit !(v > 0) }'
}

# link_down: kill what runs in the namespaces and every command link_run_bg started (each in a
# session and process group of its own), delete the namespaces (and with them the veth pair).
link_down() {
  local ns pid
  for pid in ${link_bg_pids[@]+"${link_bg_pids[@]}"}; do kill -9 -- "-$pid" 2>/dev/null; done
  link_bg_pids=()
  for ns in "$link_a" "$link_b"; do
    if "$link_ip" netns list 2>/dev/null | grep -q "^$ns\b"; then
      for pid in $("$link_ip" netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
      "$link_ip" netns del "$ns" 2>/dev/null
    fi
  done
  "$link_ip" link del "$link_va" 2>/dev/null
  [ -n "$link_dir" ] && rm -rf "$link_dir"
  return 0
}

# link_up RATE: make the namespaces, the veth pair and (unless RATE is none) the HTB shaping;
# writes the launch agent into a temporary folder. Returns 1 with a message if a step fails.
link_up() {
  local rate=$1 step
  link_dir=$(mktemp -d /tmp/dtrain-link.XXXXXX)
  local steps=(
    "netns add $link_a" "netns add $link_b"
    "link add $link_va type veth peer name $link_vb"
    "link set $link_va netns $link_a" "link set $link_vb netns $link_b"
    "-n $link_a addr add 10.78.0.1/24 dev $link_va" "-n $link_b addr add 10.78.0.2/24 dev $link_vb"
    "-n $link_a link set $link_va up" "-n $link_b link set $link_vb up"
    "-n $link_a link set lo up" "-n $link_b link set lo up")
  for step in "${steps[@]}"; do
    # shellcheck disable=SC2086
    "$link_ip" $step 2>"$link_dir/err" || { echo "ip $step: $(head -1 "$link_dir/err")" >&2; return 1; }
  done
  if [ "$rate" != none ]; then
    local pair
    for pair in "$link_a $link_va" "$link_b $link_vb"; do
      set -- $pair
      "$link_ip" netns exec "$1" "$link_tc" qdisc add dev "$2" root handle 1: htb default 10 2>"$link_dir/err" &&
      "$link_ip" netns exec "$1" "$link_tc" class add dev "$2" parent 1: classid 1:10 htb rate "$rate" ceil "$rate" 2>"$link_dir/err" ||
        { echo "tc on $2 at $rate: $(head -1 "$link_dir/err")" >&2; return 1; }
    done
  fi
  # Open MPI calls `agent HOST COMMAND...`, COMMAND meant for a remote shell: run it in namespace B,
  # under a hostname of its own (a UTS namespace): Open MPI names its shared-memory segments after
  # the host, and two ranks of each "host" with the same name would open each other's segments.
  printf '#!/bin/sh\n# launch agent: start the daemon in "host" %s (a namespace) instead of over ssh\nshift\nexec %s netns exec %s unshare --uts /bin/sh -c "hostname %s && $*"\n' \
    "$link_b" "$link_ip" "$link_b" "$link_b" > "$link_dir/agent"
  chmod 755 "$link_dir/agent"
}

# link_command NP [MPIRUN ARGS...]: sets link_cmd to the mpirun command line (run inside namespace A)
# for NP ranks, half in each namespace (ranks 0..NP/2-1 in A), TCP between the namespaces, shared
# memory inside one; the program and its arguments follow it. Not bound to cores: each namespace's
# daemon would bind its first rank to core 0, both on the same core.
link_command() {
  local np=$1; shift
  local per=$((np / 2))
  link_cmd=("$link_ip" netns exec "$link_a" mpirun -np "$np" --host "10.78.0.1:$per,10.78.0.2:$per" --bind-to none
    --mca plm_rsh_agent "$link_dir/agent" --mca plm_rsh_no_tree_spawn 1
    --mca pml ob1 --mca btl tcp,vader,self
    --mca btl_tcp_if_include 10.78.0.0/24 --mca oob_tcp_if_include 10.78.0.0/24
    -x OPENBLAS_NUM_THREADS -x DTRAIN_PROGRESS "$@")
}

# link_run_bg COMMAND...: runs COMMAND in the background and waits for it, so that a signal to this
# script runs its trap (and link_down) at once instead of after the command ends; returns its status.
# The command runs in a session of its own (setsid), so link_down can kill its whole process group:
# mpirun, its ranks, timeout; also for the runs outside the namespaces.
link_bg_pids=()
link_run_bg() {
  setsid "$@" &
  local pid=$!
  link_bg_pids+=("$pid")
  wait "$pid"
}
