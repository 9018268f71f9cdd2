import Messenger

/// Fetch a student's enrollments from the student information system (Apogee) and store them.
/// Deduplicated per student: rapid edits of one student, or two overlapping weekly refreshes, queue
/// one fetch. In an ordered group per student: two fetches of one student never run at once or out
/// of order, whatever the number of workers (Apogée's own rate is in `config/messenger.yaml`'s
/// `limits:`).
public struct FetchApogeeEnrollment: DeduplicatedMessage, GroupedMessage, Equatable {
    public static let messageName = "App.FetchApogeeEnrollment"
    public var studentNumber: String
    public init(studentNumber: String) { self.studentNumber = studentNumber }

    public var deduplication: DeduplicateStamp { DeduplicateStamp("apogee-\(studentNumber)") }

    public var group: GroupStamp { GroupStamp("student-\(studentNumber)") }
}

/// The weekly refresh: one `FetchApogeeEnrollment` per student. One at a time: a refresh asked for
/// while another waits or runs is deduplicated (the HTTP API answers `409 already_running`).
public struct RefreshAllEnrollments: DeduplicatedMessage, Equatable {
    public static let messageName = "App.RefreshAllEnrollments"
    public init() {}

    public var deduplication: DeduplicateStamp { DeduplicateStamp("enrollment-refresh", whileHandling: true) }
}
