import Logging

/// The worker's log for one message: the transport, message type and id go with every line as
/// metadata, computed only for lines that are written (setting a logger's metadata costs a
/// handler's work on every message, written or not).
struct MessageLog {
    let logger: Logger
    var metadata: Logger.Metadata

    func debug(_ message: @autoclosure () -> Logger.Message) { logger.debug(message(), metadata: metadata) }
    func info(_ message: @autoclosure () -> Logger.Message) { logger.info(message(), metadata: metadata) }
    func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message) { logger.log(level: level, message(), metadata: metadata) }
    func warning(_ message: @autoclosure () -> Logger.Message) { logger.warning(message(), metadata: metadata) }
    func error(_ message: @autoclosure () -> Logger.Message) { logger.error(message(), metadata: metadata) }
    func critical(_ message: @autoclosure () -> Logger.Message) { logger.critical(message(), metadata: metadata) }
}
