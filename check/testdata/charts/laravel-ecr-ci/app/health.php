<?php
// GET /up answers 200 while the app can serve.
http_response_code(200);
echo "ok";
