<?php
// an ordinary form handler: reads request input, never runs it
$name = htmlspecialchars($_POST['name'] ?? '', ENT_QUOTES);
$config = json_decode(file_get_contents(__DIR__ . '/config.json'), true);
echo "<p>Thank you, $name.</p>";
exec('/usr/bin/logger form-submitted');   // fixed command, no request data
?>
