import Foundation

/// This process as a worker: one id for all of its transports, so that a claim tells whose it is.
public enum WorkerIdentity {
    /// This process's worker id (a random UUID, new at each start).
    public static let id: String = UUID().uuidString.lowercased()
    /// This machine's host name.
    public static let host: String = ProcessInfo.processInfo.hostName
    /// This process's id.
    public static let pid: Int32 = ProcessInfo.processInfo.processIdentifier
}
