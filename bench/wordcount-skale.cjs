// The skale side of bench/wordcount.js (skale 1.2.2 in local mode: this process plus
// SKALE_WORKERS forked workers). Counts the words of every file in a directory (skale
// reads one partition per file) and prints one BENCH line: the result's digest and the
// time from creating the context to the result (the whole process is timed outside).
//
//   SKALE_WORKERS=2 NODE_PATH=<folder with skale>/node_modules node bench/wordcount-skale.cjs DIR
'use strict';
const crypto = require('node:crypto');
const t0 = performance.now();
const sc = require('skale').context();
sc.textFile(process.argv[2] + '/')
  .flatMap((line) => line.split(' '))
  .map((w) => [w, 1])
  .reduceByKey((a, b) => a + b, 0)
  .collect(function (err, counts) {
    if (err) throw err;
    const ms = performance.now() - t0;
    counts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let words = 0;
    const h = crypto.createHash('sha256');
    for (const [w, n] of counts) {
      words += n;
      h.update(`${w}\t${n}\n`);
    }
    console.log('BENCH ' + JSON.stringify({ ms, distinct: counts.length, words, digest: h.digest('hex') }));
    sc.end();
  });
