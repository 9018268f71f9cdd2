import Foundation

/// Shared storage for the "stop workers" signal, so that it reaches every worker using it, on any host.
public protocol StopSignalStore: Sendable {
    /// Asks every worker started before now to stop after its current message.
    func requestWorkersStop(at date: Date) async throws
    /// When a stop was last requested, if ever.
    func lastStopRequest() async throws -> Date?
    /// Identifies the shared storage, so that one store reached through several transports is asked once.
    var stopSignalScope: String { get }
}
