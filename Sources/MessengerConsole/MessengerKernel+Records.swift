import Foundation
import Messenger

extension MessengerKernel {
    /// The status-record stores of the storing transports, one per database, in transport-name order.
    public var recordStores: [any MessageRecordStore] {
        storingTransportNames.compactMap { transports[$0] as? any MessageRecordStore }.uniqued(by: \.recordStoreIdentity)
    }

    /// The worker registries of the storing transports, one per database.
    public var workerRegistries: [any WorkerRegistry] {
        storingTransportNames.compactMap { transports[$0] as? any WorkerRegistry }.uniqued(by: \.recordStoreIdentity)
    }

    /// A message's record and the store that keeps it; nil when no store has it.
    public func findRecord(id: String) async throws -> (MessageRecord, any MessageRecordStore)? {
        for store in recordStores {
            if var record = try await store.record(id: id) {
                record.waitingOn = await waitingReason(record)
                return (record, store)
            }
        }
        return nil
    }

    /// Why a waiting message is not started yet, from its transport (nil when it cannot tell).
    public func waitingReason(_ record: MessageRecord) async -> String? {
        guard record.status == .queued || record.status == .retrying, let rowId = record.rowId,
              let transport = transports[record.transport] as? any FlowControlledTransport else { return nil }
        return try? await transport.waitingReason(rowId: rowId)
    }

    /// A message's record and the store that keeps it; an error naming the id when no store has it.
    public func record(id: String) async throws -> (MessageRecord, any MessageRecordStore) {
        if let found = try await findRecord(id: id) { return found }
        throw MessengerError(.transportFailure, "no message with id \(id) in the status records of \(storingTransportNames.joined(separator: ", ")) (it may have been pruned, or its transport has tracking: none)")
    }

    /// The pause controls of a queue: a transport name (its queue) or a queue name, one per database.
    public func pauseControls(forQueue queue: String) throws -> (queue: String, controls: [any QueuePauseControl]) {
        let controls = storingTransportNames.compactMap { transports[$0] as? any QueuePauseControl }
        let name = (transports[queue] as? any QueuePauseControl)?.queueName ?? queue
        let matching = controls.filter { $0.queueName == name }.uniqued(by: \.recordStoreIdentity)
        guard !matching.isEmpty else {
            let known = Set(controls.map(\.queueName)).sorted().joined(separator: ", ")
            throw MessengerError(.unknownTransport, "no transport stores queue or is named \"\(queue)\"; queues: \(known)")
        }
        return (name, matching)
    }
}
