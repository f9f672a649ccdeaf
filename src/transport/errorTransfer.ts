/** Errors across a thread boundary: structured clone keeps only a message, so class, code, exit code and location travel as data. */
import { CatalystError, InputError, IntegrityError, UsageError, type SourceLocation } from "../share/errors.js";
import {
  ChannelClosedError,
  ConnectError,
  DeadlineExceededError,
  FrameTooLargeError,
  IdleTimeoutError,
  PeerClosedError,
  ProtocolError,
  TransportError,
} from "./errors.js";
import { PeerMismatchError } from "./protocolHeader.js";

/** What crosses the boundary: plain data that postMessage can clone. */
export interface TransferredError {
  /** Class names from the error's own class up to Error, so the receiver can pick the nearest class it knows. */
  classes: string[];
  name: string;
  message: string;
  stack?: string;
  code?: string;
  exitCode?: number;
  location?: SourceLocation;
  details?: Record<string, unknown>;
}

/** Any error class: constructors differ in their parameters, and only the prototype is used, never `new`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Classes every receiver knows; a caller may add its own (for example the table stream's errors). */
const KNOWN_CLASSES: ErrorClass[] = [
  PeerClosedError, IdleTimeoutError, DeadlineExceededError, FrameTooLargeError, ConnectError, ProtocolError, ChannelClosedError, TransportError,
  PeerMismatchError, InputError, IntegrityError, UsageError, CatalystError,
  RangeError, TypeError, Error,
];

export function transferableError(error: unknown): TransferredError {
  if (!(error instanceof Error)) return { classes: [], name: "Error", message: String(error) };
  const classes: string[] = [];
  for (let prototype = Object.getPrototypeOf(error); prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    classes.push((prototype.constructor as { name: string }).name);
  }
  const transferred: TransferredError = { classes, name: error.name, message: error.message, stack: error.stack };
  if (error instanceof CatalystError) {
    Object.assign(transferred, { code: error.code, exitCode: error.exitCode, location: error.location });
    if (error.details) transferred.details = error.details;
  }
  return transferred;
}

/**
 * Rebuilds the error as an instance of the nearest known class, with every field it had. The constructor is
 * not called (each class takes different arguments): the fields are copied onto an object of its prototype.
 */
export function restoreError(transferred: TransferredError, extraClasses: readonly ErrorClass[] = []): Error {
  const candidates = [...extraClasses, ...KNOWN_CLASSES];
  const found = transferred.classes.map((name) => candidates.find((candidate) => candidate.name === name)).find((candidate) => candidate !== undefined) ?? Error;
  const restored = Object.create(found.prototype) as Error & Partial<CatalystError>;
  const fields: Record<string, unknown> = { name: transferred.name, message: transferred.message, stack: transferred.stack };
  if (transferred.code !== undefined) Object.assign(fields, { code: transferred.code, exitCode: transferred.exitCode, location: transferred.location ?? {} });
  if (transferred.details !== undefined) fields.details = transferred.details;
  // Own, writable, non-enumerable properties, as Error's constructor makes them.
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) Object.defineProperty(restored, key, { value, writable: true, configurable: true, enumerable: key !== "name" && key !== "message" && key !== "stack" });
  }
  return restored;
}
