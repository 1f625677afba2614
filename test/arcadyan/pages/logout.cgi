<html><head><title>LOGIN</title></head><body></body></html>
