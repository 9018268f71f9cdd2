import Foundation

/// This process as a worker: one id for all of its transports, so that a claim tells whose it is.
public enum WorkerIdentity {
    public static let id: String = UUID().uuidString.lowercased()
    public static let host: String = ProcessInfo.processInfo.hostName
    public static let pid: Int32 = ProcessInfo.processInfo.processIdentifier
}
