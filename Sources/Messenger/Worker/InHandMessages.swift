import Foundation
import Synchronization

/// The messages a worker is handling now, by public id: their latest progress report (written by
/// the worker's heartbeat, so that a handler reporting in a tight loop costs a lock and no I/O),
/// and the cancellation an operator may ask for each.
final class InHandMessages: Sendable {
    private let entries = Mutex<[String: InHandMessage]>([:])

    /// Registers a message as started; nil when it has no record to report to or be cancelled by
    /// (no public id: stored before ids existed; or its transport tracks none), which then costs
    /// nothing more than before records existed.
    func begin(_ envelope: Envelope, attempt: Int, store: (any MessageRecordStore)?) -> InHandMessage? {
        guard let store, store.recordsMessages, let id = envelope.messageId else { return nil }
        let entry = InHandMessage(start: MessageStart(messageId: id, attempt: attempt, startedAt: Date()), storeIdentity: store.recordStoreIdentity)
        entries.withLock { $0[id] = entry }
        return entry
    }

    func end(_ entry: InHandMessage?) {
        guard let entry else { return }
        entries.withLock { current in
            if current[entry.id] === entry { current[entry.id] = nil }
        }
    }

    var all: [InHandMessage] { entries.withLock { Array($0.values) } }
    var count: Int { entries.withLock { $0.count } }
}

/// One message in hand: where its record lives, its start (written by the heartbeat once), its
/// unwritten progress, its cancellation.
final class InHandMessage: Sendable {
    let start: MessageStart
    let storeIdentity: String?
    private let progress = Mutex<ProgressReport?>(nil)
    private let cancellation = Mutex(Cancellation())

    /// Whether an operator asked to cancel, and how to cancel the handling once it runs.
    private struct Cancellation {
        var requested = false
        var action: (@Sendable () -> Void)?
    }
    private let startRecorded = Mutex(false)

    init(start: MessageStart, storeIdentity: String?) {
        self.start = start
        self.storeIdentity = storeIdentity
    }

    var id: String { start.messageId }

    /// The start, the first time it is asked for (the heartbeat writes it once).
    func takeStart() -> MessageStart? {
        startRecorded.withLock { recorded in
            defer { recorded = true }
            return recorded ? nil : start
        }
    }

    /// Keeps the latest report; the heartbeat writes it.
    func report(_ fraction: Double, note: String?) {
        let clamped = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let trimmed = note.map { String($0.prefix(200)) }
        progress.withLock { $0 = ProgressReport(messageId: id, fraction: clamped, note: trimmed) }
    }

    /// The report not written yet, taken.
    func takeProgress() -> ProgressReport? {
        progress.withLock { current in defer { current = nil }; return current }
    }

    var isCancelRequested: Bool { cancellation.withLock { $0.requested } }

    /// Records an operator's request and cancels the handling (now, or as soon as it is set).
    func requestCancel() {
        let action = cancellation.withLock { state -> (@Sendable () -> Void)? in
            state.requested = true
            return state.action
        }
        action?()
    }

    /// How to cancel the handling; run at once when a cancellation was already asked.
    func onCancel(_ action: @escaping @Sendable () -> Void) {
        let requested = cancellation.withLock { state -> Bool in
            state.action = action
            return state.requested
        }
        if requested { action() }
    }
}

/// Carries the in-hand entry to the handler's context (`HandlerContext.progress`). In memory only.
struct InHandStamp: Stamp {
    let entry: InHandMessage
}
