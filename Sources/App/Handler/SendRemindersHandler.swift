import Foundation
import Logging
import Messenger

/// Dispatches one SendMail per reminder due on the day; returns how many.
struct SendRemindersHandler: DailyJobHandler {
    typealias HandledMessage = SendReminders
    typealias Result = Int
    let database: SharedAppDatabase

    func run(on day: String, in database: AppDatabase, context: HandlerContext) async throws -> Int {
        let date = try Date("\(day)T00:00:00Z", strategy: .iso8601)
        let inDays = { (days: Int) in AppCalendar.day(date.addingTimeInterval(Double(days) * 86_400)) }
        var mails: [SendMail] = []
        for row in try await database.query("""
            SELECT u.email, u.name, p.label, p.ends_on FROM hr_periods p JOIN users u ON u.id = p.user_id WHERE p.ends_on = $1 ORDER BY p.id
            """, [inDays(4)]) {
            mails.append(SendMail(to: [row[0] ?? ""], subject: "Your \(row[2] ?? "HR period") ends on \(row[3] ?? "")",
                                  text: "Hello \(row[1] ?? ""),\n\nYour \(row[2] ?? "HR period") ends on \(row[3] ?? ""), in 4 days.\n"))
        }
        for row in try await database.query("""
            SELECT title, starts_on, contact_email FROM interventions WHERE starts_on > $1 AND starts_on <= $2 ORDER BY starts_on, id
            """, [day, inDays(3)]) {
            mails.append(SendMail(to: [row[2] ?? ""], subject: "Reminder: \(row[0] ?? "intervention") on \(row[1] ?? "")",
                                  text: "Hello,\n\n\(row[0] ?? "An intervention") takes place on \(row[1] ?? "").\n"))
        }
        for mail in mails { _ = try await context.dispatchAfterCurrentBus(mail) }
        context.logger.notice("Reminders sent", metadata: ["reminders.day": "\(day)", "reminders.count": "\(mails.count)"])
        return mails.count
    }
}
