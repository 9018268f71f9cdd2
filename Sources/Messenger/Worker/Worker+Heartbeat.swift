import Foundation
import Logging
import Synchronization

extension Worker {
    /// A worker's beat, every `WorkerHeartbeat.interval` while it runs: it marks the attempts it
    /// started `running`, writes its handlers' latest progress, asks which of its messages an operator
    /// wants cancelled (and cancels them), renews its own record every few beats, and prunes finished
    /// status records past their retention now and then (in small batches, apart from claims).
    struct Heartbeat: Sendable {
        let worker: Worker
        let startedAt = Date()
        /// The record stores of the worker's transports, one per database.
        let stores: [any MessageRecordStore]
        let registries: [any WorkerRegistry]
        /// The store of every transport the worker consumes or parks into, each pruned for its own
        /// records (a failure transport that no worker consumes keeps parked records too).
        let pruned: [any MessageRecordStore]

        /// Records pruned per statement, and how often a worker prunes.
        static let pruneBatch = 500
        static let pruneInterval: Duration = .seconds(30)
        static let pruneBatchesPerPass = 400

        init(worker: Worker) {
            self.worker = worker
            stores = worker.transports.compactMap { $0.receiver as? any MessageRecordStore }.uniqued(by: \.recordStoreIdentity)
            registries = worker.transports.compactMap { $0.receiver as? any WorkerRegistry }.uniqued(by: \.recordStoreIdentity)
            let consumed = worker.transports.map { ($0.name, $0.receiver as? any MessageRecordStore) }
            let parkedInto = worker.transports.compactMap { $0.failureDestination }.map { ($0.name, $0.sender as? any MessageRecordStore) }
            pruned = (consumed + parkedInto).uniqued(by: \.0).compactMap(\.1)
        }

        func run() async {
            var count = 0
            while !Task.isCancelled {
                do { try await Task.sleep(for: WorkerHeartbeat.interval) } catch { return }
                count += 1
                await beat(recording: count % WorkerHeartbeat.recordEvery == 0)
            }
        }

        /// Prunes when the worker starts (a pass runs to its first batch even if the worker stops at
        /// once), then every `pruneInterval`, in a task of its own.
        func runPruning() async {
            await prune()
            while !Task.isCancelled {
                do { try await Task.sleep(for: Self.pruneInterval) } catch { return }
                await prune()
            }
        }

        /// One beat: progress, cancellations, and (when `recording`) the worker's own record.
        func beat(recording: Bool) async {
            let entries = worker.inHand.all
            for store in stores {
                let mine = entries.filter { $0.storeIdentity == store.recordStoreIdentity }
                guard !mine.isEmpty else { continue }
                do {
                    let starts = mine.compactMap { $0.takeStart() }
                    if !starts.isEmpty { try await store.recordStarts(starts) }
                    try await store.reportProgress(mine.compactMap { $0.takeProgress() })
                    let cancelled = try await store.cancellationRequests(among: mine.filter { !$0.isCancelRequested }.map(\.id))
                    for entry in mine where cancelled.contains(entry.id) {
                        worker.logger.notice("Cancelling message \(entry.id) on request")
                        entry.requestCancel()
                    }
                } catch {
                    worker.logger.warning("Cannot write progress or read cancellations: \(error)")
                }
            }
            if recording { await record(stoppedAt: nil) }
        }

        /// The worker says it stopped.
        func stopped() async { await record(stoppedAt: Date()) }

        private func record(stoppedAt: Date?) async {
            let counts = worker.tally.withLock { $0 }
            let record = WorkerRecord(id: WorkerIdentity.id, host: WorkerIdentity.host, pid: WorkerIdentity.pid, receivers: worker.transports.map(\.name),
                                      startedAt: startedAt, heartbeatAt: Date(), stoppedAt: stoppedAt, inHand: worker.inHand.count,
                                      handled: counts.handled, failed: counts.failed)
            for registry in registries {
                do { try await registry.heartbeat(record) } catch { worker.logger.warning("Cannot record the worker's heartbeat: \(error)") }
            }
        }

        /// Prunes finished records past their retention, in batches of `pruneBatch` (one short
        /// transaction each) until the rest is younger or the worker stops.
        func prune() async {
            for store in pruned {
                do {
                    // Small batches, one transaction each, until what is left is younger than its retention.
                    var total = 0
                    for _ in 0..<Self.pruneBatchesPerPass {
                        let count = try await store.prune(store.retention, limit: Self.pruneBatch)
                        total += count
                        if count < Self.pruneBatch || Task.isCancelled { break }
                    }
                    if total > 0 { worker.logger.debug("Pruned \(total) finished status record(s)") }
                } catch {
                    worker.logger.warning("Cannot prune status records: \(error)")
                }
            }
            for registry in registries {
                try? await registry.forgetWorkers(before: Date().addingTimeInterval(-86_400))
            }
        }
    }
}
