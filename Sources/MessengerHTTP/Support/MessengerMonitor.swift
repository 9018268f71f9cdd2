import Foundation
import Messenger
import MessengerConsole

/// What the API and the pages read and do, over every database the application's transports use:
/// records by id or filter (pages merged across databases), workers with what they run, throughput.
final class MessengerMonitor: Sendable {
    let kernel: MessengerKernel
    /// Throughput over a window, served stale while it is recomputed (a day of records takes long).
    let throughputFigures: SharedFigures<ThroughputReport>
    /// Every transport's counts: computed at most once a second whatever the number of viewers (a
    /// pause from this process is seen at once: it invalidates them).
    let queues = SharedFigures<[TransportOverview]>(maxAge: 1, staleFor: 10)
    /// The workers' records (their heartbeats come every 2 s).
    let workerFigures = SharedFigures<[WorkerRecord]>(maxAge: 1, staleFor: 10)

    /// Wait and run times are taken from this many of the latest records of each finished status.
    static let timingSamples = 2000

    init(kernel: MessengerKernel, statisticsMaxAge: TimeInterval) {
        self.kernel = kernel
        throughputFigures = SharedFigures(maxAge: statisticsMaxAge, staleFor: 60)
    }

    /// Finished counts per bucket and wait and run percentiles over the last `window` seconds.
    func throughput(window: Int, bucket: Int) async throws -> ThroughputReport {
        try await throughputFigures.value("\(window)/\(bucket)") { [kernel] in
            let until = Date()
            let since = until.addingTimeInterval(-Double(window))
            var counts: [FinishedCount] = []
            var timings: [MessageTiming] = []
            for store in kernel.recordStores {
                counts += try await store.finishedCounts(since: since, bucketSeconds: bucket)
                timings += try await store.recentTimings(limit: Self.timingSamples)
            }
            return ThroughputReport(since: since, until: until, bucketSeconds: bucket, counts: counts, timings: timings)
        }
    }

    /// Every storing transport's counts and paused state: read now (`shared`: false, the API's
    /// answer to a script), or at most a second old, shared by every viewer (pages, metrics).
    func transportOverviews(shared: Bool) async throws -> [TransportOverview] {
        guard shared else { return try await kernel.transportOverviews() }
        return try await queues.value(Self.allKey) { [kernel] in try await kernel.transportOverviews() }
    }

    /// After a change this process made (a pause): the next page shows it.
    func queuesChanged() { queues.invalidate(Self.allKey) }

    private static let allKey = "all"

    /// A record and the store that keeps it; nil when no store has it.
    func record(id: String) async throws -> (MessageRecord, any MessageRecordStore)? { try await kernel.findRecord(id: id) }

    /// The store that keeps a record read from a page: its transport's (records live with it).
    func store(of record: MessageRecord) -> (any MessageRecordStore)? { kernel.transports[record.transport] as? any MessageRecordStore }

    /// A page newest first across every database, and the cursor of the next page (nil at the end).
    func page(_ query: MessageRecordQuery) async throws -> (records: [MessageRecord], next: MessageRecordCursor?) {
        var probe = query
        probe.limit = query.limit + 1
        var merged: [MessageRecord] = []
        for store in kernel.recordStores { merged += try await store.records(matching: probe) }
        merged.sort { MessageRecordCursor(after: $0) > MessageRecordCursor(after: $1) }
        let page = Array(merged.prefix(query.limit))
        return (page, merged.count > query.limit ? page.last.map(MessageRecordCursor.init(after:)) : nil)
    }

    /// Every record the filter matches, newest first, at most `limit` (bulk actions).
    func matching(_ query: MessageRecordQuery, limit: Int) async throws -> [MessageRecord] {
        var found: [MessageRecord] = []
        var cursor: MessageRecordCursor? = nil
        repeat {
            var next = query
            next.limit = min(500, limit - found.count)
            next.after = cursor
            let (records, following) = try await page(next)
            found += records
            cursor = following
        } while cursor != nil && found.count < limit
        return found
    }

    /// A worker, its state, and the messages it runs now.
    struct WorkerView: Encodable {
        let worker: WorkerRecord
        let state: String
        let running: [RunningMessage]
    }

    struct RunningMessage: Encodable {
        let id: String
        let type: String
        let startedAt: Date?
        let progress: Double?
    }

    /// Every database's workers, most recent first: read now, or shared (as `transportOverviews`).
    func workerRecords(shared: Bool) async throws -> [WorkerRecord] {
        let read: @Sendable () async throws -> [WorkerRecord] = { [kernel] in
            var workers: [WorkerRecord] = []
            for registry in kernel.workerRegistries { workers += try await registry.workers() }
            return workers.sorted { $0.startedAt > $1.startedAt }
        }
        return shared ? try await workerFigures.value(Self.allKey, compute: read) : try await read()
    }

    func workers(shared: Bool) async throws -> [WorkerView] {
        let workers = try await workerRecords(shared: shared)
        let running = try await matching(MessageRecordQuery(status: .running), limit: 500)
        let byWorker = Dictionary(grouping: running, by: { $0.workerId ?? "" })
        let now = Date()
        return workers.map { worker in
            WorkerView(worker: worker, state: worker.state(at: now), running: (byWorker[worker.id] ?? []).map {
                RunningMessage(id: $0.id, type: $0.type, startedAt: $0.startedAt, progress: $0.progress)
            })
        }
    }

    /// The stored envelope of a message that waits or is parked (its stamps); nil otherwise.
    func envelope(of record: MessageRecord) async -> Envelope? {
        guard let row = record.rowId, let receiver = kernel.transports[record.transport] as? any ListableReceiver else { return nil }
        return try? await receiver.find(id: row)
    }
}
