import Logging
import Synchronization

/// Keeps a run of messages that fail the same way from writing two lines each: per batch, the first
/// failure of a kind is logged in full, the others at debug level only, and one line sums them up
/// when the worker claims its next batch, goes idle or stops.
final class FailureDigest: Sendable {
    /// What makes two failures "the same way".
    struct Kind: Hashable, Sendable {
        let transport: String
        let messageType: String
        /// The error's type (and code, for the messenger's own errors).
        let reason: String
        /// What became of them: "retried", "parked in failed".
        let outcome: String
        let level: Logger.Level
    }

    private struct Tally {
        var extra = 0
        var firstId: String?
        var lastId: String?
    }

    private let state = Mutex<[Kind: Tally]>([:])

    /// Records a failure; true when it is the first of its kind since the last summary (log it in full).
    func record(_ kind: Kind, id: String?) -> Bool {
        state.withLock { tallies in
            guard var tally = tallies[kind] else {
                tallies[kind] = Tally()
                return true
            }
            tally.extra += 1
            if tally.firstId == nil { tally.firstId = id }
            tally.lastId = id
            tallies[kind] = tally
            return false
        }
    }

    /// Writes one line per kind that had more than one failure, and starts over.
    func summarize(to logger: Logger) {
        let tallies = state.withLock { tallies in defer { tallies = [:] }; return tallies }
        for (kind, tally) in tallies.sorted(by: { $0.key.messageType < $1.key.messageType }) where tally.extra > 0 {
            var ids = ""
            if let first = tally.firstId, let last = tally.lastId { ids = first == last ? " (id \(first))" : " (ids \(first) to \(last))" }
            logger.log(level: kind.level, "\(tally.extra) more \(kind.messageType) message(s) failed the same way (\(kind.reason)) and were \(kind.outcome)\(ids)",
                       metadata: ["transport": .string(kind.transport), "message.type": .string(kind.messageType)])
        }
    }
}
