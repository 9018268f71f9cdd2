import Messenger

/// Fetch a student's enrollments from the student information system (Apogee) and store them.
/// Deduplicated per student: rapid edits of one student, or two overlapping weekly refreshes, queue
/// one fetch.
public struct FetchApogeeEnrollment: DeduplicatedMessage, Equatable {
    public static let messageName = "App.FetchApogeeEnrollment"
    public var studentNumber: String
    public init(studentNumber: String) { self.studentNumber = studentNumber }

    public var deduplication: DeduplicateStamp { DeduplicateStamp("apogee-\(studentNumber)") }
}

/// The weekly refresh: one `FetchApogeeEnrollment` per student.
public struct RefreshAllEnrollments: Message, Equatable {
    public static let messageName = "App.RefreshAllEnrollments"
    public init() {}
}
