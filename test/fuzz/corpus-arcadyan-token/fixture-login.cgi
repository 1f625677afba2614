<html><head><title>BUFFALO AirStation</title></head><body><img title=spacer src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7MjIyMjIyMjIyMg=="></body></html>
