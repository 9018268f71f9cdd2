import Foundation

/// Students as the application records them (`student:create`, `POST /api/students`).
public enum StudentRecords {
    public enum Outcome: Sendable, Equatable {
        case created(id: Int)
        /// A student with this number was recorded before: theirs.
        case exists(id: Int)
    }

    /// Records a student unless one has this number already; run it in the transaction that also
    /// queues their enrollment fetch.
    public static func record(number: String, email: String, name: String, at createdAt: String, in database: AppDatabase) async throws -> Outcome {
        if let existing = try await database.query("SELECT id FROM students WHERE student_number = $1", [number]).first?[0] {
            return .exists(id: Int(existing) ?? 0)
        }
        let id = try await database.query("INSERT INTO students (student_number, email, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                                          [number, email, name, createdAt])[0][0]
        return .created(id: Int(id ?? "") ?? 0)
    }
}
