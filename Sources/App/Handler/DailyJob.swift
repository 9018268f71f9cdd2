import Foundation
import Messenger

/// A planned job about one day of the application's data: `on` replays a given day.
protocol DailyJob: Message {
    /// `2026-11-23`; nil: the day it is handled.
    var on: String? { get }
}

/// A handler of a daily job that works on the application's database.
protocol DailyJobHandler: MessageHandler where HandledMessage: DailyJob {
    var database: SharedAppDatabase { get }
    func run(on day: String, in database: AppDatabase, context: HandlerContext) async throws -> Result
}

extension DailyJobHandler {
    /// A day that is not `yyyy-MM-dd` is unrecoverable: no retry can make it one.
    func handle(_ message: HandledMessage, context: HandlerContext) async throws -> Result {
        let day = message.on ?? AppCalendar.today()
        guard AppCalendar.isDay(day) else {
            throw UnrecoverableMessageError("\(HandledMessage.messageName): \"\(day)\" is not a day; write it as 2026-11-23")
        }
        return try await database.withConnection { database in try await run(on: day, in: database, context: context) }
    }
}
