import Foundation

/// Reads a pipe to its end on a thread of its own, into an `OutputBuffer`. Not a `readabilityHandler`:
/// on Linux, removing one while it fires races inside libdispatch and crashed the test process.
public final class PipeReader: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    public init(_ pipe: Pipe, into buffer: OutputBuffer) {
        let (handle, finished) = (pipe.fileHandleForReading, finished)
        Thread.detachNewThread {
            while case let data = handle.availableData, !data.isEmpty { buffer.append(data) }
            finished.signal()
        }
    }

    /// Waits until the writing side has closed the pipe and everything written was read.
    public func waitForEnd() { finished.wait() }
}
