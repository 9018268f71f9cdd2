import Dispatch
import Foundation
import Synchronization

/// Turns POSIX signals into a callback (with how many times each arrived) instead of killing the process.
final class SignalWatch {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32, Int) -> Void) {
        let counts = Mutex<[Int32: Int]>([:])
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = counts.withLock { counts in
                    counts[number, default: 0] += 1
                    return counts.values.reduce(0, +)
                }
                handler(number, count)
            }
            source.resume()
            return source
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}
