/*
 * pod.d.ts — type declarations of the Bun worker SDK (bun/pod.ts), layer 02-ipc.
 *
 * For editors and JavaScript callers that import the SDK without reading its
 * TypeScript source. Kept in step with pod.ts by hand; pod.ts is the truth.
 */

/** Protocol version spoken (header byte 4 and HELLO.version). */
export declare const VERSION: 1;
export declare const HDR_SIZE: 16;
export declare const MAX_PAYLOAD: 4080;
export declare const TEXT_MAX: 1024;
export declare const CATEGORY_MAX: 32;
export declare const REQUEST_MAX: 2048;
export declare const RULE_MAX: 256;
/** Message type names indexed by type number (1..10). */
export declare const TYPE_NAMES: string[];
export declare const DATA_FRAMES: 1, DATA_SPACE: 2, DATA_WANT_SPACE: 4, DATA_ALL: 7;
export declare const LANG_C: 1, LANG_PYTHON: 2, LANG_BUN: 3, LANG_LOADER: 4;
export declare const ACT_ALLOW: 0, ACT_WARN: 1, ACT_DENY: 2, ACT_INFO: 3;

/** One control message: type, seq and the type's fields (strings as bytes, PING/PONG token as bigint). */
export interface Msg {
  type: number;
  seq: number;
  [field: string]: number | bigint | Uint8Array;
}

/** A message that breaks the wire format. */
export declare class CodecError extends Error {
  /** EBADMSG, EPROTONOSUPPORT or EMSGSIZE, as the C decoder. */
  errnoName: string;
}
/** Bytes of one message (header + payload); throws RangeError for bad values. */
export declare function encode(m: Msg): Uint8Array;
/** [msg, bytes used] for the message at the start of b, or [null, 0] for a valid prefix; throws CodecError. */
export declare function decode(b: Uint8Array): [Msg | null, number];

/** Base of every SDK error. */
export declare class PodError extends Error {
  /** The condition: ECONNRESET, EBADMSG, EPROTO, EREMOTEIO, ESHUTDOWN, ETIMEDOUT, ... */
  errno: string;
}
/** The runner closed or reset the control socket (it exited or was killed). */
export declare class RunnerGone extends PodError {}
/** The runner sent something malformed or out of order, or the ring is corrupt. */
export declare class ProtocolError extends PodError {}
/** The runner answered with ERROR. */
export declare class RunnerRefused extends PodError {}
/** STOP arrived and no handler exited the process. */
export declare class Stopped extends PodError {}
/** A timeout passed. */
export declare class PodTimeout extends PodError {}

/** Socket path and ring descriptor given on the command line. */
export interface PodArgs {
  socketPath: string;
  shmFd: number;
}
/** Remove --pod-socket=PATH / --pod-shm-fd=N from argv (default process.argv, from index `first`). */
export declare function parseArgs(argv?: string[], first?: number): PodArgs;

/** Frames from recvBatch(), views into the worker's buffer, valid until the next recvBatch(). */
export declare class Batch implements Iterable<Uint8Array> {
  readonly buf: Uint8Array;
  readonly lens: Uint32Array;
  n: number;
  readonly length: number;
  frame(i: number): Uint8Array;
  [Symbol.iterator](): IterableIterator<Uint8Array>;
}

/** Options of connect(). */
export interface ConnectOptions {
  /** Arguments to take --pod-* from (default process.argv). */
  argv?: string[];
  /** Explicit socket path (skips argv). */
  socketPath?: string;
  /** Explicit ring descriptor (with socketPath). */
  shmFd?: number;
  /** Connect + READY bound (default 5000). */
  handshakeTimeoutMs?: number;
  /** Poll an empty ring this long before sleeping (default $POD_SPIN_US, else 0). */
  spinUs?: number;
}

/** The pod's end of a session. */
export declare class Worker implements AsyncIterable<Uint8Array> {
  readonly capacity: number;
  readonly maxFrame: number;
  stopping: boolean;
  stopDeadlineMs: number;
  static connect(o?: ConnectOptions): Promise<Worker>;
  /** Run fn once when STOP arrives, then exit with its number result (0 otherwise). */
  onStop(fn: (deadlineMs: number) => unknown): void;
  /** Next frame (a copy). One recv/recvBatch at a time: a concurrent second one throws EBUSY. */
  recv(timeoutMs?: number): Promise<Uint8Array>;
  /** Up to max frames (at least one). One recv/recvBatch at a time (else EBUSY). */
  recvBatch(max?: number, timeoutMs?: number): Promise<Batch>;
  /** Frames until STOP. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array>;
  /** Write without waiting; false when the ring is full. */
  trySend(data: Uint8Array): boolean;
  /** Send one frame, waiting while the ring is full. */
  send(data: Uint8Array): Promise<void>;
  /** Send a Batch (zero copy) or frames (copied once). */
  sendBatch(frames: Batch | Uint8Array[]): Promise<void>;
  /** Report an application error (ERROR) to the runner. */
  sendError(code: number, text: string): void;
  /** The last failure, or null. */
  readonly error: PodError | null;
  /** End the session and unmap the rings; resolves once the runner closed its end (at most lingerMs, default 1000). Await it before process.exit(). */
  close(lingerMs?: number): Promise<void>;
}

/** Connect to the runner named in argv and complete the handshake. */
export declare function connect(o?: ConnectOptions): Promise<Worker>;
