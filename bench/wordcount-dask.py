# The Dask side of bench/wordcount.js (Debian's python3-distributed): a local cluster of
# 2 worker processes x 1 thread, a bag read from the file in blocks, words split and
# counted with Dask's own operators. Prints one BENCH line: the result's digest, the time
# from the cluster being up to the result ("ms"), and the cluster's start ("start_ms").
#
#   python3 bench/wordcount-dask.py FILE [WORKERS=2] [BLOCKSIZE=25000000]
import hashlib
import json
import sys
import time

t_start = time.perf_counter()
import dask.bag as db
from distributed import Client, LocalCluster

def main():
    path = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    blocksize = int(sys.argv[3]) if len(sys.argv) > 3 else 25_000_000
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host='127.0.0.1') as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        counts = db.read_text(path, blocksize=blocksize).str.split().flatten().frequencies().compute()
        ms = (time.perf_counter() - t0) * 1000
        start_ms = (t0 - t_start) * 1000
    counts.sort()
    h = hashlib.sha256()
    words = 0
    for w, n in counts:
        words += n
        h.update(f"{w}\t{n}\n".encode())
    print('BENCH ' + json.dumps({'ms': ms, 'start_ms': start_ms, 'distinct': len(counts), 'words': words, 'digest': h.hexdigest()}), flush=True)

if __name__ == '__main__':
    main()
