<?php
// php Tests/Symfony/count.php DSN TABLE QUEUE: how many messages Symfony's Doctrine transport sees as
// waiting and due (its messenger:stats count).
namespace App\Message;
require __DIR__ . '/bootstrap.php';

[$_, $dsn, $table, $queue] = $argv;
echo transport($dsn, $table, $queue)->getMessageCount(), "\n";
