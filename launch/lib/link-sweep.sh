# Sourced by launch/scale for --link RATES: for each rate, the emulated link of emulated-link.sh is
# made, `dtrain bench comm` at np=2 across it saves comm-fit-<rate>.json, and `dtrain bench train`
# runs each config at each np (half the ranks in each namespace) and wire format; the link is then
# removed. np=1 of each config (no link) gives the projection's compute, and with a 16-bit wire
# format the time of its conversions (at np=1 the exchange only encodes and decodes). Points go to points.jsonl
# with mode "link"; `dtrain scale report` puts them beside the projection. With --algorithms, each
# named algorithm is also forced in `dtrain bench comm --json` on shared memory (every np) and on
# each link (np=2): algorithms/<place>-np<N>-<algorithm>.json, set beside one joint model by the
# report. Needs: dtrain, out, link_algorithms,
# steps, warmup, cores, sets, link_rates, link_configs, link_nps, link_compress, comm_sizes.

# link_point TAG NP RANKS-PER-HOST LINK CONFIG COMPRESS (LINK - for no link): one bench train, one line of points.jsonl.
link_point() {
  local tag=$1 np=$2 per=$3 link=$4 config=$5 compress=$6
  local over=false rc json err
  [ "$np" -gt "$cores" ] && over=true
  local args=(bench train --json --config "$config" --steps "$steps" --warmup "$warmup" --set "train.compress=$compress" ${sets[@]+"${sets[@]}"})
  if [ "$np" -eq 1 ]; then
    link_run_bg timeout 900 "$dtrain" "${args[@]}" > "$out/logs/$tag.out" 2> "$out/logs/$tag.err"; rc=$?
  else
    local extra=(); $over && extra=(--mca mpi_yield_when_idle 1)
    link_command "$np" "${extra[@]}"
    link_run_bg timeout 900 "${link_cmd[@]}" "$dtrain" "${args[@]}" > "$out/logs/$tag.out" 2> "$out/logs/$tag.err"; rc=$?
  fi
  json=$(grep '^{' "$out/logs/$tag.out" | tail -1)
  local batch
  batch=$(printf '%s' "$json" | sed -n 's/.*"batch": *\([0-9]*\).*/\1/p')
  local head="{\"mode\": \"link\", \"strategy\": \"flat\", \"np\": $np, \"batch_per_rank\": ${batch:-0}, \"oversubscribed\": $over, \"compress\": \"$compress\""
  [ "$link" = "-" ] || head="$head, \"link\": \"$link\", \"ranks_per_host\": $per"
  if [ $rc -eq 0 ] && [ -n "$json" ]; then
    echo "$head, \"status\": \"ok\", \"bench\": $json}" >> "$out/points.jsonl"
    local ex
    ex=$(printf '%s' "$json" | sed -n 's/.*"median_us": *\([0-9.eE+-]*\).*/\1/p')
    local step_ms
    step_ms=$(printf '%s' "$json" | sed -n 's/.*"step_ms": *\([0-9.eE+-]*\).*/\1/p')
    printf '  %-8s %-28s np=%-2s %-5s step %8s ms  exchange %s\n' "$link" "$(basename "$config" .yaml)" "$np" "$compress" \
      "$(awk -v v="${step_ms:-nan}" 'BEGIN { printf "%.2f", v }')" "${ex:+$(awk -v v="$ex" 'BEGIN { printf "%.3f ms", v / 1000 }')}"
  else
    if [ $rc -eq 124 ]; then err="timed out after 900 s"
    else err=$(grep -m1 -iE 'error|crashed' "$out/logs/$tag.err" | sed 's/\x1b\[[0-9;]*m//g' || true)
         [ -n "$err" ] || err=$(grep -v '^[- ]*$' "$out/logs/$tag.err" | tail -1); fi
    [ -n "$err" ] || err="exit $rc with no message"
    echo "$head, \"status\": \"failed\", \"error\": \"$(printf '%s' "$err" | json_escape)\"}" >> "$out/points.jsonl"
    printf '  %-8s %-28s np=%-2s %-5s FAILED: %s\n' "$link" "$(basename "$config" .yaml)" "$np" "$compress" "$err"
  fi
}

# algorithm_runs PLACE NP COMMAND-PREFIX...: bench comm --json with each of $link_algorithms forced.
algorithm_runs() {
  local place=$1 np=$2 a; shift 2
  mkdir -p "$out/algorithms"
  for a in $link_algorithms; do
    if link_run_bg timeout 600 "$@" "$dtrain" bench comm --json --algorithm "$a" --repeats 20 --sizes "$comm_sizes" \
         > "$out/algorithms/$place-np$np-$a.json.tmp" 2> "$out/logs/algorithm-$place-np$np-$a.err"; then
      grep '^{' "$out/algorithms/$place-np$np-$a.json.tmp" | tail -1 > "$out/algorithms/$place-np$np-$a.json"
      echo "  $a forced at np=$np on $place: measured"
    else
      echo "  $a forced at np=$np on $place FAILED: $(grep -m1 -i error "$out/logs/algorithm-$place-np$np-$a.err")"
    fi
    rm -f "$out/algorithms/$place-np$np-$a.json.tmp"
  done
}

link_sweep() {
  local rate config np compress
  echo "np=1 (no link): the projection's compute per model, and each 16-bit format's conversions"
  local formats="none"
  for compress in $link_compress; do [ "$compress" = none ] || formats="$formats $compress"; done
  for config in $link_configs; do
    for compress in $formats; do
      link_point "np1-$(basename "$config" .yaml)-$compress" 1 1 - "$config" "$compress"
    done
  done
  if [ -n "$link_algorithms" ]; then
    echo "forced algorithms over shared memory"
    for np in $link_nps; do
      local shm=(mpirun -np "$np" --bind-to none -x OPENBLAS_NUM_THREADS -x DTRAIN_PROGRESS)
      [ "$np" -gt "$cores" ] && shm+=(--oversubscribe --mca mpi_yield_when_idle 1)
      algorithm_runs shm "$np" "${shm[@]}"
    done
  fi
  for rate in $link_rates; do
    echo "link $rate: namespaces $link_a and $link_b over a veth pair$([ "$rate" = none ] || echo ", HTB at $rate each way")"
    link_up "$rate" || { link_down; echo "  link $rate could not be made; skipped"; continue; }
    link_command 2
    if link_run_bg timeout 600 "${link_cmd[@]}" "$dtrain" bench comm --repeats 20 --sizes "$comm_sizes" \
         --save "$out/comm-fit-$rate.json" > "$out/comm-$rate.txt" 2> "$out/logs/comm-$rate.err"; then
      echo "  $(grep '^default fit' "$out/comm-$rate.txt")"
    else
      echo "  allreduce fit on $rate failed: $(grep -m1 -i error "$out/logs/comm-$rate.err" || tail -1 "$out/logs/comm-$rate.err")"
    fi
    if [ -n "$link_algorithms" ]; then link_command 2; algorithm_runs "$rate" 2 "${link_cmd[@]}"; fi
    for config in $link_configs; do
      for np in $link_nps; do
        for compress in $link_compress; do
          link_point "link-$rate-$(basename "$config" .yaml)-np$np-$compress" "$np" $((np / 2)) "$rate" "$config" "$compress"
        done
      done
    done
    link_down
  done
}
