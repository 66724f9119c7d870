// Package v20170312 stands in for TencentCloud's VPC API client, which the Go module proxy this
// project builds from does not serve. It declares only what flannel's tencent-vpc backend
// (pkg/backend/tencentvpc) uses, and every call fails: flanneld builds with all its other backends,
// and a network configured with the tencent-vpc backend fails to start with errUnavailable.
package v20170312

import "errors"

var errUnavailable = errors.New("the TencentCloud VPC backend (tencent-vpc) is not part of this build of flanneld")

type Client struct{}

func NewClientWithSecretId(secretId, secretKey, region string) (*Client, error) {
	return nil, errUnavailable
}

type Filter struct {
	Name   *string
	Values []*string
}

type Route struct {
	RouteId              *uint64
	DestinationCidrBlock *string
	GatewayType          *string
	GatewayId            *string
	RouteType            *string
	Enabled              *bool
}

type RouteTable struct {
	RouteTableId *string
	RouteSet     []*Route
}

type DescribeRouteTablesRequest struct {
	Filters []*Filter
}

type DescribeRouteTablesResponseParams struct {
	RouteTableSet []*RouteTable
}

type DescribeRouteTablesResponse struct {
	Response *DescribeRouteTablesResponseParams
}

func NewDescribeRouteTablesRequest() *DescribeRouteTablesRequest {
	return &DescribeRouteTablesRequest{}
}

func (c *Client) DescribeRouteTables(*DescribeRouteTablesRequest) (*DescribeRouteTablesResponse, error) {
	return nil, errUnavailable
}

type DeleteRoutesRequest struct {
	RouteTableId *string
	Routes       []*Route
}

type DeleteRoutesResponse struct{}

func NewDeleteRoutesRequest() *DeleteRoutesRequest { return &DeleteRoutesRequest{} }

func (c *Client) DeleteRoutes(*DeleteRoutesRequest) (*DeleteRoutesResponse, error) {
	return nil, errUnavailable
}

type CreateRoutesRequest struct {
	RouteTableId *string
	Routes       []*Route
}

type CreateRoutesResponse struct{}

func NewCreateRoutesRequest() *CreateRoutesRequest { return &CreateRoutesRequest{} }

func (c *Client) CreateRoutes(*CreateRoutesRequest) (*CreateRoutesResponse, error) {
	return nil, errUnavailable
}
