// Stands in for TencentCloud's VPC SDK, which the Go module proxy does not serve (see v20170312/).
module github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc

go 1.22
