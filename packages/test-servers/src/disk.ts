// A full disk for the connector packages' tests (@sluice/test-disk): a tmpfs mounted on a
// directory for one test file (root only; outside CI a test skips without it), filled until
// the kernel answers ENOSPC and kept full.
export { fillDisk, holdDiskFull, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
