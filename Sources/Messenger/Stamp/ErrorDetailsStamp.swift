import Foundation

/// What went wrong the last time the message was handled: kept with a failed message for inspection.
public struct ErrorDetailsStamp: TransportableStamp, Equatable {
    public static let stampName = "ErrorDetails"
    /// The Swift type of the error, e.g. `App.MailerError`.
    public let errorType: String
    /// The error's description.
    public let message: String
    /// Where it failed: the handler, or the stage of the pipeline.
    public let location: String
    /// When it failed.
    public let failedAt: Date

    /// The details of an error of `errorType` saying `message`, raised at `location`.
    public init(errorType: String, message: String, location: String, failedAt: Date = Date()) {
        self.errorType = errorType
        self.message = message
        self.location = location
        self.failedAt = failedAt
    }
}
