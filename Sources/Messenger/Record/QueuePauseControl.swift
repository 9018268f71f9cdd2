/// Queues paused in a database: no worker, on any host, claims from them until they are resumed;
/// dispatch and the scheduler keep storing (`messenger:pause`, `messenger:resume`).
public protocol QueuePauseControl: Sendable {
    /// The queue this transport stores into and reads.
    var queueName: String { get }
    /// Same identity, same database: a pause is stored once per database.
    var recordStoreIdentity: String { get }
    /// Pauses `queue`: no worker starts its messages until it is resumed (the ones running finish).
    func pause(queue: String) async throws
    /// Lets workers start the messages of `queue` again.
    func resume(queue: String) async throws
    /// The queues paused now.
    func pausedQueues() async throws -> Set<String>
}
