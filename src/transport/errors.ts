/** Transport failures: each names what went wrong on the wire so a vanished or misbehaving peer reads clearly. */
import { CatalystError, ExitCode } from "../share/errors.js";

/** Base class for every failure of a channel or connection. */
export class TransportError extends CatalystError {
  constructor(message: string, code = "transport") {
    super(code, message, ExitCode.failure);
  }
}

/** The peer closed or reset the stream, either between frames while we waited or in the middle of one. */
export class PeerClosedError extends TransportError {
  constructor(message: string) {
    super(message, "peer-closed");
  }
}

/** A frame announced or offered a length above the channel's limit (a corrupt stream or a wrong peer). */
export class FrameTooLargeError extends TransportError {
  constructor(message: string) {
    super(message, "frame-too-large");
  }
}

/** No bytes moved for longer than the idle limit while we were waiting on the peer. */
export class IdleTimeoutError extends TransportError {
  constructor(message: string) {
    super(message, "idle-timeout");
  }
}

/** The channel's overall deadline passed. */
export class DeadlineExceededError extends TransportError {
  constructor(message: string) {
    super(message, "deadline");
  }
}

/** Could not establish a connection within the allowed time. */
export class ConnectError extends TransportError {
  constructor(message: string) {
    super(message, "connect");
  }
}

/** The peer sent a message of the wrong shape for the protocol step (wrong length, bad encoding). */
export class ProtocolError extends TransportError {
  constructor(message: string) {
    super(message, "protocol");
  }
}

/** The channel was closed locally and can no longer be used. */
export class ChannelClosedError extends TransportError {
  constructor(message = "the channel is closed") {
    super(message, "channel-closed");
  }
}
