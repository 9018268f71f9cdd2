import Messenger

/// Delete the files of the upload folder that no row references and that are older than a grace
/// period (uploads in progress have no row yet).
public struct PurgeOrphanFiles: Message, Equatable {
    public static let messageName = "App.PurgeOrphanFiles"
    /// Seconds a file is left alone after its last change; nil: one day.
    public var graceSeconds: Int?
    public init(graceSeconds: Int? = nil) { self.graceSeconds = graceSeconds }

    public static let defaultGraceSeconds = 86_400
}
